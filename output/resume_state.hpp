#pragma once
// Reading back a results file written by a stopped run (complete = 0), so that
// `cascade run --resume` can finish it.

#include <filesystem>
#include <string>

#include "output/results.hpp"

namespace cascade {

// Everything the stopped run finished: the resolved scenario it ran, and the
// completed paths' results and checkpoint. The run driver continues from the
// next path and produces exactly the results of an uninterrupted run.
struct ResumeState {
    std::filesystem::path file;  // where it was read from, for messages
    std::string scenario_json;   // the resolved scenario, as stored in the file
    std::string engine;          // "cursor" or "reference"
    std::string cascade_version;
    std::string git_revision;
    std::uint64_t paths_completed = 0;
    std::vector<PathColumn> paths;   // /paths/*, paths_completed values each
    std::vector<SampleSet> samples;  // /samples/*
    EventVector events;
    Checkpoint checkpoint;
};

// Reads a stopped run's file. Throws InputError (naming the file) when it is
// not a results file, is complete already, or lacks a usable checkpoint.
ResumeState read_resume_state(const std::filesystem::path& file);

}  // namespace cascade
