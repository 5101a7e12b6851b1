#pragma once
// The command line: parses arguments and calls the library. The only place
// that turns exceptions into exit codes.

namespace cascade {

enum ExitCode : int {
    kExitSuccess = 0,
    kExitRuntimeFailure = 1,
    kExitBadInput = 2,
    kExitTargetUnreachable = 3,  // tune: no value in the range meets the target
};

int run_cli(int argc, char** argv);

}  // namespace cascade
