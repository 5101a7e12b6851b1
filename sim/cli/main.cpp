// The cascade executable: a dispatcher over the library.
#include "sim/cli/cli.hpp"

int main(int argc, char** argv) {
    return cascade::run_cli(argc, argv);
}
