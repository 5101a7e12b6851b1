#pragma once
// Writes Results to one HDF5 file, laid out as docs/output-format.md says.
// The file is written under a temporary name in the target directory and
// renamed into place only once complete: a failed run never leaves a
// truncated file under the requested name.

#include <array>
#include <filesystem>
#include <memory>

#include "output/results.hpp"
#include "sim/scenario/scenario.hpp"

namespace cascade {

class EventSink;  // sim/run.hpp

// Major bumps when a dataset is renamed or changes meaning; minor when one is added.
inline constexpr std::array<int, 2> kFormatVersion = {1, 7};

// Checks, before any simulation, that `path` can be written: its directory
// exists and is writable, and it is not a directory. Throws InputError.
void check_output_path(const std::filesystem::path& path);

// Checks that a results file of up to `bytes` (estimate_output_bytes) fits
// the `available` bytes of the file system `path` is on. Throws InputError
// naming the file, both sizes and the ways out.
void check_output_space(const std::filesystem::path& path, std::uint64_t bytes,
                        std::uint64_t available);

// A results file being written. It is created (under a temporary name, see
// AtomicH5File) before the run, so that the sample paths' events stream into
// it while the simulation goes on (RunOptions::events); commit() writes the
// rest and renames it into place. Destroyed before commit(), it leaves no file.
class ResultsFile {
  public:
    // Checks `path` (check_output_path) and creates the temporary file.
    // `scenario` must outlive this object.
    ResultsFile(const std::filesystem::path& path, const Scenario& scenario);
    ~ResultsFile();
    ResultsFile(const ResultsFile&) = delete;
    ResultsFile& operator=(const ResultsFile&) = delete;

    // For RunOptions::events: /events/liquidations.
    EventSink& events();
    // Writes `results` (all but their events, which came through events())
    // and renames the file into place.
    void commit(const Results& results);

  private:
    struct Contents;
    const Scenario& scenario_;
    std::unique_ptr<Contents> contents_;
};

// Writes `results`, their events included, to `path` in one go.
void write_results(const std::filesystem::path& path, const Results& results,
                   const Scenario& scenario);

}  // namespace cascade
