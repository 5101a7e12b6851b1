#include "support/support.hpp"

#include <H5Cpp.h>
#include <doctest/doctest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <signal.h>

#include <chrono>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cascade::test {

nlohmann::json base_scenario() {
    return nlohmann::json::parse(R"({
        "name": "test",
        "simulation": {"paths": 1000, "horizon": "1d", "steps": 24, "seed": 7, "threads": 1},
        "market": {"asset": "TEST", "initial_price": 100.0,
                   "price_model": {"model": "gbm", "drift": 0.0, "volatility": 0.5}},
        "output": {"sample_paths": 2}
    })");
}

Scenario scenario_from(const nlohmann::json& doc) {
    return parse_scenario(doc.dump(), "test.json");
}

nlohmann::json one_long_jump_scenario() {
    auto doc = base_scenario();
    doc["simulation"] = {{"paths", 3}, {"horizon", "10h"}, {"steps", 10}, {"seed", 5}};
    doc["market"]["price_model"] = {{"model", "gbm"}, {"volatility", 0.0}};
    doc["shocks"] = {{{"type", "jump"}, {"time", "3h"}, {"size", -0.05}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_margin", 0.01},
                    {"liquidation_penalty", 0.0},
                    {"insurance_fund", 0.0}};
    doc["population"]["cohorts"] = nlohmann::json::array({{{"name", "one"},
                                                           {"side", "long"},
                                                           {"accounts", 1},
                                                           {"leverage", 10.0},
                                                           {"notional", 1000.0}}});
    doc["output"] = {{"sample_paths", 1}};
    return doc;
}

nlohmann::json two_sided_crash_scenario() {
    nlohmann::json doc = base_scenario();
    doc["simulation"]["paths"] = 64;
    doc["market"]["impact"] = {{"model", "linear"}, {"per_notional", 1e-6}};
    doc["shocks"] = {{{"type", "crash"}, {"start", "2h"}, {"duration", "2h"}, {"drop", 0.3}}};
    doc["venue"] = {{"initial_margin", 0.05},
                    {"maintenance_margin", 0.02},
                    {"liquidation_penalty", 0.01},
                    {"insurance_fund", 1000.0}};
    doc["population"]["cohorts"] = two_sided_cohorts(300, 19);
    return doc;
}

nlohmann::json two_sided_cohorts(std::uint64_t accounts, double max_leverage) {
    nlohmann::json cohorts = nlohmann::json::array();
    for (const char* side : {"long", "short"}) {
        cohorts.push_back(
            {{"name", std::string(side) + "s"},
             {"side", side},
             {"accounts", accounts},
             {"leverage", {{"distribution", "uniform"}, {"min", 2}, {"max", max_leverage}}},
             {"notional", 1e4}});
    }
    return cohorts;
}

void check_same_paths(const Results& a, const Results& b) {
    for (const PathColumn& column : a.paths) {
        INFO(column.info.name);
        CHECK(same_bits(column.values, b.path_column(column.info.name).values));
    }
    for (std::size_t s = 0; s < a.samples.size(); ++s) {
        CHECK(a.samples[s].values.data == b.samples[s].values.data);
    }
}

Results run_on_both_engines(const Scenario& scenario) {
    Results cursor = run_simulation(scenario);
    RunOptions reference;
    reference.engine = EngineKind::reference_scan;
    check_same_paths(cursor, run_simulation(scenario, reference));
    return cursor;
}

TempDir::TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cascade-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
        throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
}

std::filesystem::path TempDir::write(const std::string& name, const std::string& content) const {
    auto file = path_ / name;
    std::ofstream(file, std::ios::binary) << content;
    return file;
}

namespace {
std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::ostringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}
}  // namespace

namespace {

// Starts the executable with stdout and stderr sent to files in `capture`.
pid_t spawn_cascade(const std::vector<std::string>& arguments, const TempDir& capture) {
    const std::string out_file = (capture / "stdout").string();
    const std::string err_file = (capture / "stderr").string();
    std::vector<std::string> argv_storage = {CASCADE_EXE};
    argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage) {
        argv.push_back(a.data());
    }
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, out_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_file.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pid_t pid = 0;
    const int spawned = posix_spawn(&pid, CASCADE_EXE, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
        throw std::runtime_error("could not start " + std::string(CASCADE_EXE));
    }
    return pid;
}

CommandResult wait_for(pid_t pid, const TempDir& capture) {
    int status = 0;
    waitpid(pid, &status, 0);
    CommandResult result;
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    result.out = slurp(capture / "stdout");
    result.err = slurp(capture / "stderr");
    return result;
}

}  // namespace

CommandResult run_cascade(const std::vector<std::string>& arguments) {
    TempDir capture;
    return wait_for(spawn_cascade(arguments, capture), capture);
}

RunningCascade::RunningCascade(const std::vector<std::string>& arguments)
    : pid_(spawn_cascade(arguments, capture_)) {}

RunningCascade::~RunningCascade() {
    if (pid_ > 0) {
        ::kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
    }
}

void RunningCascade::signal(int number) const {
    ::kill(pid_, number);
}

bool RunningCascade::wait_for_stderr(const std::string& text, double timeout_seconds) const {
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_seconds);
    while (std::chrono::steady_clock::now() < deadline) {
        if (slurp(capture_ / "stderr").find(text) != std::string::npos) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

CommandResult RunningCascade::wait() {
    CommandResult result = wait_for(pid_, capture_);
    pid_ = -1;
    return result;
}

MeanEstimate estimate_mean(std::span<const double> values) {
    const double n = static_cast<double>(values.size());
    double sum = 0.0;
    for (double x : values) {
        sum += x;
    }
    const double mean = sum / n;
    double squares = 0.0;
    for (double x : values) {
        squares += (x - mean) * (x - mean);
    }
    return {mean, std::sqrt(squares / (n - 1.0) / n)};
}

std::filesystem::path source_dir() {
    return CASCADE_SOURCE_DIR;
}

std::map<std::string, std::vector<char>> read_all_datasets(const std::filesystem::path& file) {
    std::map<std::string, std::vector<char>> contents;
    H5::H5File h5(file.string(), H5F_ACC_RDONLY);
    std::vector<std::string> pending = {"/"};
    while (!pending.empty()) {
        const std::string group_path = pending.back();
        pending.pop_back();
        H5::Group group = h5.openGroup(group_path);
        for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
            const std::string name = group.getObjnameByIdx(i);
            const std::string path = (group_path == "/" ? "" : group_path) + "/" + name;
            if (group.getObjTypeByIdx(i) == H5G_GROUP) {
                pending.push_back(path);
                continue;
            }
            H5::DataSet set = h5.openDataSet(path);
            const H5::DataType type = set.getDataType();
            std::vector<char> bytes(set.getSpace().getSelectNpoints() * type.getSize());
            if (!bytes.empty()) {
                set.read(bytes.data(), type);
            }
            contents[path] = std::move(bytes);
        }
    }
    return contents;
}

void check_same_datasets(const std::filesystem::path& a, const std::filesystem::path& b) {
    const auto first = read_all_datasets(a);
    const auto second = read_all_datasets(b);
    CHECK(first.size() >= 10);
    CHECK(first.size() == second.size());
    for (const auto& item : first) {  // INFO captures path: no structured binding (clang < 16)
        const std::string& path = item.first;
        INFO("dataset " << path);
        REQUIRE(second.count(path) == 1);
        CHECK(item.second == second.at(path));
    }
}

}  // namespace cascade::test
