// End to end: the real executable on real files.

#include <doctest/doctest.h>

#include <H5Cpp.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <signal.h>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "output/results_writer.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::vector<fs::path> files_in(const fs::path& directory) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(directory)) {
        files.push_back(entry.path().filename());
    }
    return files;
}

const std::string kFlashCrash = (test::source_dir() / "scenarios/flash-crash.json").string();

}  // namespace

TEST_CASE("--version and --help succeed") {
    const auto version = test::run_cascade({"--version"});
    CHECK(version.exit_code == 0);
    CHECK(contains(version.out, "cascade 0."));
    const auto help = test::run_cascade({"run", "--help"});
    CHECK(help.exit_code == 0);
    CHECK(contains(help.out, "--set"));
    CHECK(contains(help.out, "--threads"));
    CHECK(test::run_cascade({"validate", "--help"}).exit_code == 0);
}

TEST_CASE("results are bit-identical for 1 and 2 threads") {
    test::TempDir dir;
    const auto one = test::run_cascade({"run", kFlashCrash, "-o", (dir / "one.h5").string(),
                                        "--paths", "700", "--threads", "1", "--quiet"});
    const auto two = test::run_cascade({"run", kFlashCrash, "-o", (dir / "two.h5").string(),
                                        "--paths", "700", "--threads", "2", "--quiet"});
    REQUIRE(one.exit_code == 0);
    REQUIRE(two.exit_code == 0);
    test::check_same_datasets(dir / "one.h5", dir / "two.h5");
    // A different seed is a different run.
    const auto other = test::run_cascade({"run", kFlashCrash, "-o", (dir / "other.h5").string(),
                                          "--paths", "700", "--seed", "5", "--quiet"});
    REQUIRE(other.exit_code == 0);
    CHECK(test::read_all_datasets(dir / "other.h5").at("/paths/final_price") !=
          test::read_all_datasets(dir / "one.h5").at("/paths/final_price"));
}

TEST_CASE("run prints a summary with throughput and the key figures") {
    test::TempDir dir;
    const auto result =
        test::run_cascade({"run", kFlashCrash, "-o", (dir / "r.h5").string(), "--paths", "200"});
    REQUIRE(result.exit_code == 0);
    CHECK(contains(result.out, "path-steps/s"));
    CHECK(contains(result.out, "final_price_mean"));
    CHECK(contains(result.out, (dir / "r.h5").string()));
    // Not a terminal: one closing progress line, not a bar.
    CHECK(contains(result.err, "simulated 200 of 200 paths"));
    CHECK(fs::exists(dir / "r.h5"));
    CHECK(files_in(dir.path()).size() == 1);  // no temporary left behind
}

TEST_CASE("validate prints the resolved scenario, which validates again") {
    test::TempDir dir;
    const auto result =
        test::run_cascade({"validate", kFlashCrash, "--set", "/simulation/paths=5"});
    REQUIRE(result.exit_code == 0);
    const auto resolved = nlohmann::json::parse(result.out);
    CHECK(resolved["simulation"]["paths"] == 5);
    CHECK(resolved["simulation"]["steps"] == 720);
    const auto again = test::run_cascade({"validate", dir.write("r.json", result.out).string()});
    CHECK(again.exit_code == 0);
    CHECK(again.out == result.out);
}

TEST_CASE("bad input: exit code 2, a message naming the problem, and no output file") {
    test::TempDir dir;
    const std::string good = test::base_scenario().dump();
    auto with = [&](const std::function<void(nlohmann::json&)>& change) {
        auto doc = test::base_scenario();
        change(doc);
        return doc.dump();
    };
    struct Case {
        std::string name;
        std::string content;             // scenario file content
        std::vector<std::string> extra;  // extra arguments
        std::string expected;            // part of the message
    };
    const std::vector<Case> cases = {
        {"syntax error",
         "{\"simulation\": {\"paths\": 10,}}",
         {},
         "invalid JSON: parse error at line 1"},
        {"wrong type",
         with([](auto& d) { d["simulation"]["paths"] = "many"; }),
         {},
         "/simulation/paths: expected an integer in [1, 1000000000], got \"many\""},
        {"out of range",
         with([](auto& d) { d["market"]["price_model"]["volatility"] = -0.2; }),
         {},
         "/market/price_model/volatility: must be in [0, 10], got -0.2"},
        {"zero horizon",
         with([](auto& d) { d["simulation"]["horizon"] = "0s"; }),
         {},
         "/simulation/horizon: must be a duration in (0,"},
        {"unknown key",
         with([](auto& d) { d["market"]["intial_price"] = 5; }),
         {},
         "/market/intial_price: unknown key (did you mean \"initial_price\"?)"},
        {"missing required field",
         with([](auto& d) { d["market"].erase("initial_price"); }),
         {},
         "/market/initial_price: required field is missing"},
        {"absurd size",
         with([](auto& d) { d["simulation"]["paths"] = 1e15; }),
         {},
         "/simulation/paths: must be an integer in [1, 1000000000], got 1e+15"},
        {"NaN spelled in JSON", "{\"simulation\": {\"paths\": NaN}}", {}, "invalid JSON"},
        {"not UTF-8", "{\"name\": \"\xc3\x28\"}", {}, "invalid JSON"},
        {"empty file", "", {}, "file is empty"},
        {"bad --set pointer",
         good,
         {"--set", "/simulation/pathz=5"},
         "/simulation/pathz: unknown key (did you mean \"paths\"?) (value from --set "
         "/simulation/pathz=5)"},
        {"--set into a number",
         good,
         {"--set", "/simulation/paths/x=5"},
         "--set /simulation/paths/x=5: /simulation/paths/x: /simulation/paths is 1000"},
        {"--set out of range",
         good,
         {"--set", "/output/quantiles=[0.5, 1.5]"},
         "/output/quantiles/1: must be in (0, 1), got 1.5"},
        {"--set without a value", good, {"--set", "/simulation/paths"}, "must have the form"},
        {"unknown option", good, {"--bogus"}, "--bogus"},
        {"negative --paths", good, {"--paths", "-3"}, "--paths"},
    };
    for (const Case& c : cases) {
        INFO("case: " << c.name);
        const auto scenario = dir.write("s.json", c.content);
        std::vector<std::string> args = {"run", scenario.string(), "-o", (dir / "out.h5").string()};
        args.insert(args.end(), c.extra.begin(), c.extra.end());
        const auto result = test::run_cascade(args);
        CHECK(result.exit_code == 2);
        CHECK_MESSAGE(contains(result.err, c.expected), "stderr was: " << result.err);
        if (c.name != "unknown option" && c.name != "negative --paths") {
            CHECK((contains(result.err, scenario.string()) || contains(result.err, "--set")));
        }
        CHECK(files_in(dir.path()) == std::vector<fs::path>{"s.json"});
    }
}

TEST_CASE("bad paths: missing scenario, a directory as scenario, unusable output locations") {
    test::TempDir dir;
    const auto scenario = dir.write("s.json", test::base_scenario().dump());
    fs::create_directory(dir / "sub");

    auto missing =
        test::run_cascade({"run", (dir / "nope.json").string(), "-o", (dir / "o.h5").string()});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "nope.json: no such file"));

    auto directory = test::run_cascade({"validate", (dir / "sub").string()});
    CHECK(directory.exit_code == 2);
    CHECK(contains(directory.err, "is a directory; expected a scenario file"));

    auto out_is_dir = test::run_cascade({"run", scenario.string(), "-o", (dir / "sub").string()});
    CHECK(out_is_dir.exit_code == 2);
    CHECK(contains(out_is_dir.err, "output path is a directory"));

    auto no_dir =
        test::run_cascade({"run", scenario.string(), "-o", (dir / "absent/o.h5").string()});
    CHECK(no_dir.exit_code == 2);
    CHECK(contains(no_dir.err, "does not exist"));

    CHECK(files_in(dir / "sub").empty());
}

}  // namespace cascade

namespace cascade {

TEST_CASE(
    "inspect prints provenance, metrics and datasets, and refuses what is not a results file") {
    test::TempDir dir;
    const std::string results = (dir / "r.h5").string();
    REQUIRE(
        test::run_cascade({"run", kFlashCrash, "-o", results, "--paths", "100", "-q"}).exit_code ==
        0);
    const auto ok = test::run_cascade({"inspect", results});
    CHECK(ok.exit_code == 0);
    CHECK(contains(ok.out, fmt::format("cascade results, format {}.{}", kFormatVersion[0],
                                       kFormatVersion[1])));
    CHECK(contains(ok.out, "100 paths x 720 steps, cursor engine, complete"));
    CHECK(contains(ok.out, "bad_debt_var99"));
    CHECK(contains(ok.out, "/paths/bad_debt"));

    // Not HDF5 at all.
    const auto text = test::run_cascade({"inspect", dir.write("t.txt", "hello").string()});
    CHECK(text.exit_code == 2);
    CHECK(contains(text.err, "t.txt: not an HDF5 file"));

    // HDF5, but not ours.
    {
        H5::H5File other((dir / "other.h5").string(), H5F_ACC_TRUNC);
        other.createGroup("/data");
    }
    const auto foreign = test::run_cascade({"inspect", (dir / "other.h5").string()});
    CHECK(foreign.exit_code == 2);
    CHECK(contains(foreign.err, "not a cascade results file"));

    // Truncated: the first half of a real file.
    std::ifstream in(results, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto half = dir.write("half.h5", bytes.substr(0, bytes.size() / 2));
    const auto truncated = test::run_cascade({"inspect", half.string()});
    CHECK(truncated.exit_code == 2);
    CHECK(contains(truncated.err, "half.h5"));

    const auto missing = test::run_cascade({"inspect", (dir / "nope.h5").string()});
    CHECK(missing.exit_code == 2);
    CHECK(contains(missing.err, "nope.h5: no such file"));
}

}  // namespace cascade

namespace cascade {
namespace {

struct FileSummary {
    int complete = -1;
    std::uint64_t paths = 0;
    std::uint64_t paths_completed = 0;
    std::vector<double> final_price;
};

FileSummary summarise_file(const std::filesystem::path& file) {
    H5::H5File h5(file.string(), H5F_ACC_RDONLY);
    const H5::Group root = h5.openGroup("/");
    FileSummary s;
    root.openAttribute("complete").read(H5::PredType::NATIVE_INT, &s.complete);
    root.openAttribute("paths").read(H5::PredType::NATIVE_UINT64, &s.paths);
    root.openAttribute("paths_completed").read(H5::PredType::NATIVE_UINT64, &s.paths_completed);
    const H5::DataSet set = h5.openDataSet("/paths/final_price");
    s.final_price.resize(set.getSpace().getSimpleExtentNpoints());
    if (!s.final_price.empty()) {
        set.read(s.final_price.data(), H5::PredType::NATIVE_DOUBLE);
    }
    return s;
}

// Runs `arguments` (which write `out`) and sends `signal` after a wait. The
// right moment depends on the build (a sanitizer build starts ten times
// slower) and on the machine's load: a signal that comes before the run has
// installed its handlers ends it with no file, so it tries again waiting three
// times longer; a run that finished first, a third as long.
test::CommandResult stop_midway(const std::vector<std::string>& arguments,
                                const std::filesystem::path& out, int signal, double wait) {
    test::CommandResult result;
    for (int attempt = 0; attempt < 6; ++attempt) {
        std::filesystem::remove(out);
        test::RunningCascade run(arguments);
        std::this_thread::sleep_for(std::chrono::duration<double>(wait));
        run.signal(signal);
        result = run.wait();
        if (!std::filesystem::exists(out)) {
            wait *= 3;
        } else if (summarise_file(out).complete == 1) {
            wait /= 3;
        } else {
            break;
        }
    }
    return result;
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM stop at a block boundary and save every completed path") {
    for (const auto& signal_and_code : {std::pair{SIGINT, 130}, std::pair{SIGTERM, 143}}) {
        // Named copies: lambdas below cannot capture structured bindings in clang 14.
        const int number = signal_and_code.first;
        const int code = signal_and_code.second;
        INFO("signal " << number);
        test::TempDir dir;
        const auto out = dir / "stopped.h5";
        const auto result =
            stop_midway({"run", kFlashCrash, "-o", out.string(), "--paths", "100000", "--threads",
                         "2", "--set", "/output/series=[\"price\"]"},
                        out, number, 2.0);
        CHECK(result.exit_code == code);
        CHECK(contains(result.err, "marked complete = 0"));
        REQUIRE(std::filesystem::exists(out));
        const FileSummary stopped = summarise_file(out);
        CHECK(stopped.complete == 0);
        CHECK(stopped.paths == 100000);
        CHECK(stopped.paths_completed < 100000);
        CHECK(stopped.paths_completed % 64 == 0);  // whole blocks
        CHECK(stopped.final_price.size() == stopped.paths_completed);
        // Paths are keyed to the seed: the saved ones are exactly those of a full run.
        if (stopped.paths_completed > 0) {
            const auto full = dir / "full.h5";
            REQUIRE(test::run_cascade({"run", kFlashCrash, "-o", full.string(), "--paths",
                                       std::to_string(stopped.paths_completed), "-q", "--set",
                                       "/output/series=[\"price\"]"})
                        .exit_code == 0);
            const FileSummary reference = summarise_file(full);
            CHECK(reference.complete == 1);
            CHECK(reference.final_price == stopped.final_price);
        }
    }
}

TEST_CASE("run --resume finishes a run stopped by SIGINT, identical to an uninterrupted run") {
    test::TempDir dir;
    const auto out = dir / "stopped.h5";
    const std::vector<std::string> scenario = {
        (test::source_dir() / "scenarios/calm.json").string(), "--paths", "100000", "--set",
        "/output/series=[\"price\", \"insurance_fund\"]"};
    std::vector<std::string> arguments = {"run", "-o", out.string(), "--threads", "2"};
    arguments.insert(arguments.begin() + 1, scenario.begin(), scenario.end());
    REQUIRE(stop_midway(arguments, out, SIGINT, 0.7).exit_code == 130);
    REQUIRE(summarise_file(out).complete == 0);

    // Everything that would change the results is the stopped run's own.
    for (const auto& extra : std::vector<std::vector<std::string>>{{kFlashCrash},
                                                                   {"--paths", "5"},
                                                                   {"--seed", "1"},
                                                                   {"--set", "/name=x"},
                                                                   {"--engine", "reference"}}) {
        std::vector<std::string> bad = {"run", "--resume", out.string()};
        bad.insert(bad.end(), extra.begin(), extra.end());
        INFO("extra " << extra.front());
        CHECK(test::run_cascade(bad).exit_code == 2);
    }
    CHECK(test::run_cascade({"run"}).exit_code == 2);

    const auto resumed = test::run_cascade({"run", "--resume", out.string(), "--threads", "1"});
    REQUIRE(resumed.exit_code == 0);
    CHECK(contains(resumed.out, out.string()));
    CHECK(summarise_file(out).complete == 1);
    const auto again = test::run_cascade({"run", "--resume", out.string()});
    CHECK(again.exit_code == 2);
    CHECK(contains(again.err, "nothing to resume"));

    const auto full = dir / "full.h5";
    arguments = {"run", "-o", full.string(), "-q"};
    arguments.insert(arguments.begin() + 1, scenario.begin(), scenario.end());
    REQUIRE(test::run_cascade(arguments).exit_code == 0);
    test::check_same_datasets(full, out);
}

TEST_CASE("a second signal ends the run at once, leaving nothing under the requested name") {
    test::TempDir dir;
    const auto out = dir / "never.h5";
    test::RunningCascade run({"run", kFlashCrash, "-o", out.string(), "--paths", "100000", "--set",
                              "/output/series=[\"price\"]"});
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    run.signal(SIGINT);
    // Signals of one kind do not queue: give the first time to be taken.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    run.signal(SIGINT);
    const auto result = run.wait();
    CHECK(result.exit_code == 128 + SIGINT);
    CHECK(!std::filesystem::exists(out));
}

}  // namespace cascade

namespace cascade {

TEST_CASE("run --report writes the HTML report next to the results") {
    if (!std::filesystem::exists("/usr/bin/python3")) {
        MESSAGE("skipped: /usr/bin/python3 is absent");
        return;
    }
    test::TempDir dir;
    const auto report = dir / "report.html";
    const auto result = test::run_cascade({"run", kFlashCrash, "-o", (dir / "r.h5").string(),
                                           "--paths", "100", "-q", "--report", report.string()});
    REQUIRE(result.exit_code == 0);
    std::ifstream in(report);
    const std::string html((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    CHECK(contains(html, "<img"));
    CHECK(contains(html, "flash-crash"));
}

}  // namespace cascade

namespace cascade {

TEST_CASE("sweep and tune from the command line: tables, files, exit codes") {
    test::TempDir dir;
    const auto sweep_file = dir / "grid.h5";
    const auto sweep = test::run_cascade(
        {"sweep", kFlashCrash, "--paths", "128", "--grid", "/venue/maintenance_margin=0.005,0.01",
         "--grid", "/venue/insurance_fund=log:1e5:1e7:3", "-o", sweep_file.string(), "--show",
         "p_bad_debt,bad_debt_es99", "--baseline", "1"});
    REQUIRE(sweep.exit_code == 0);
    CHECK(contains(sweep.out, "(baseline)"));
    CHECK(contains(sweep.out, "bad_debt_es99"));
    CHECK(contains(sweep.out, "6 points x 128 paths"));
    {
        H5::H5File h5(sweep_file.string(), H5F_ACC_RDONLY);
        const H5::DataSet value = h5.openDataSet("/sweep/metrics/p_bad_debt/value");
        hsize_t dims[2] = {0, 0};
        REQUIRE(value.getSpace().getSimpleExtentNdims() == 2);
        value.getSpace().getSimpleExtentDims(dims);
        CHECK(dims[0] == 2);
        CHECK(dims[1] == 3);
        std::string pointer;
        const H5::Attribute attribute = h5.openDataSet("/sweep/axes/1").openAttribute("pointer");
        attribute.read(attribute.getStrType(), pointer);
        CHECK(pointer == "/venue/insurance_fund");
    }

    // Bad grids and targets: exit 2, every problem named, no file.
    const auto bad =
        test::run_cascade({"sweep", kFlashCrash, "--grid", "/venue/maintenance_margin=0.01,0.5",
                           "--grid", "/x=1", "-o", (dir / "bad.h5").string()});
    CHECK(bad.exit_code == 2);
    CHECK(contains(bad.err, "/venue/maintenance_margin=0.5"));
    CHECK(contains(bad.err, "/x"));
    CHECK(test::run_cascade({"sweep", kFlashCrash, "--grid", "/venue/insurance_fund=1:0:1"})
              .exit_code == 2);
    CHECK(test::run_cascade({"tune", kFlashCrash, "--param", "/venue/insurance_fund", "--range",
                             "0:1e6", "--target", "p_bad <= 0.1"})
              .exit_code == 2);
    CHECK(test::run_cascade({"tune", kFlashCrash, "--param", "/venue/insurance_fund", "--range",
                             "5:1", "--target", "p_bad_debt <= 0.1"})
              .exit_code == 2);
    CHECK(!std::filesystem::exists(dir / "bad.h5"));

    // A target the range cannot meet: said plainly, exit 3, the trace written.
    const auto tune_file = dir / "t.h5";
    const auto tune = test::run_cascade({"tune", kFlashCrash, "--paths", "128", "--param",
                                         "/venue/insurance_fund", "--range", "0:1000", "--target",
                                         "p_bad_debt <= 0.001", "-q", "-o", tune_file.string()});
    CHECK(tune.exit_code == 3);
    CHECK(contains(tune.out, "cannot be met"));
    CHECK(std::filesystem::exists(tune_file));
}

}  // namespace cascade

namespace cascade {

TEST_CASE("a run whose results may not fit the disk is refused before it starts") {
    test::TempDir dir;
    const auto out = dir / "huge.h5";
    // 10,000 sample paths of 2e8 accounts each: 134,000 GiB of events at most.
    const std::vector<std::string> huge = {"run",   kFlashCrash,
                                           "-o",    out.string(),
                                           "--set", "/population/cohorts/0/accounts=100000000",
                                           "--set", "/population/cohorts/2/accounts=100000000",
                                           "--set", "/output/sample_paths=10000",
                                           "--set", "/output/max_events_per_path=1000000000000"};
    const auto refused = test::run_cascade(huge);
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "huge.h5: the results could take up to 134110.70 GiB"));
    CHECK(contains(refused.err, "GiB free"));
    CHECK(!std::filesystem::exists(out));
    // Told to write anyway, the run still refuses: its memory does not fit either.
    std::vector<std::string> anyway = huge;
    anyway.emplace_back("--no-space-check");
    const auto memory = test::run_cascade(anyway);
    CHECK(memory.exit_code == 2);
    CHECK(contains(memory.err, "would hold"));
    CHECK(!contains(memory.err, "the results could take"));
    CHECK(!std::filesystem::exists(out));
}

TEST_CASE("a run estimated above the memory limit is refused before it starts") {
    test::TempDir dir;
    const auto out = dir / "big.h5";
    const auto refused =
        test::run_cascade({"run", kFlashCrash, "--paths", "100000", "--memory-limit", "1GiB",
                           "--set", "/output/band_method=exact", "-o", out.string()});
    CHECK(refused.exit_code == 2);
    CHECK(contains(refused.err, "would hold 2.9 GiB"));
    CHECK(contains(refused.err, "limit of 1.0 GiB (--memory-limit)"));
    CHECK(contains(refused.err, "/output/band_method \"sketch\" bounds them"));
    CHECK(!std::filesystem::exists(out));
    // The same run left to choose (auto: its exact bands would take 2.7 GiB,
    // above 2 GiB) sketches its bands, and needs far less.
    const auto sketched = test::run_cascade(
        {"run", kFlashCrash, "--paths", "100000", "--memory-limit", "512MiB", "-o", out.string()});
    CHECK(sketched.exit_code == 2);
    CHECK(contains(sketched.err, "would hold 0.9 GiB"));
    CHECK(!std::filesystem::exists(out));
    CHECK(test::run_cascade({"run", kFlashCrash, "--memory-limit", "lots"}).exit_code == 2);
    CHECK(test::run_cascade({"run", kFlashCrash, "--paths", "64", "--memory-limit", "1GiB", "-q",
                             "-o", out.string()})
              .exit_code == 0);
}

}  // namespace cascade
