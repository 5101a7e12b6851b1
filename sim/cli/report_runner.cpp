#include "sim/cli/report_runner.hpp"

#include <spawn.h>
#include <sys/wait.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

extern char** environ;

namespace cascade {
namespace {

namespace fs = std::filesystem;

// Runs a program (no shell), returning its exit status; its output goes to ours.
int run_program(const std::vector<std::string>& arguments) {
    std::vector<char*> argv;
    std::vector<std::string> storage = arguments;
    for (std::string& a : storage) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
        return 127;
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// scripts/report.py beside the build (build/cascade -> scripts/), else in the
// source tree this binary was built from.
fs::path find_script(const fs::path& executable) {
    std::error_code ec;
    const fs::path here = fs::canonical(executable, ec).parent_path();
    for (const fs::path& candidate : {here / ".." / "scripts" / "report.py",
                                      fs::path(CASCADE_SOURCE_DIR) / "scripts" / "report.py"}) {
        if (fs::exists(candidate, ec)) {
            return candidate;
        }
    }
    return {};
}

}  // namespace

void build_report(const fs::path& results, const fs::path& report, const fs::path& executable) {
    // Debian's interpreter: that is where setup.sh installs h5py and matplotlib.
    const fs::path python = "/usr/bin/python3";
    constexpr const char* kHowTo =
        "on Debian: sudo apt-get install python3-h5py python3-numpy python3-pandas "
        "python3-matplotlib (or run ./scripts/setup.sh); the results file is written";
    std::error_code ec;
    if (!fs::exists(python, ec)) {
        throw std::runtime_error(fmt::format("the report needs {} ({})", python.string(), kHowTo));
    }
    if (run_program({python.string(), "-c", "import h5py, matplotlib, numpy, pandas"}) != 0) {
        throw std::runtime_error(fmt::format(
            "the report needs the Python modules h5py, matplotlib, numpy and pandas ({})", kHowTo));
    }
    const fs::path script = find_script(executable);
    if (script.empty()) {
        throw std::runtime_error("scripts/report.py was not found beside this cascade build");
    }
    const int status =
        run_program({python.string(), script.string(), results.string(), "-o", report.string()});
    if (status != 0) {
        throw std::runtime_error(
            fmt::format("building the report failed (scripts/report.py exit status {}); the "
                        "results file {} is written",
                        status, results.string()));
    }
}

}  // namespace cascade
