#include "output/results_writer.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>

#include <H5Cpp.h>
#include <fmt/format.h>
#include <tbb/task_arena.h>

#include "output/event_table.hpp"
#include "output/hdf5_support.hpp"
#include "sim/errors.hpp"

namespace cascade {
namespace {

namespace fs = std::filesystem;

class Writer {
  public:
    // `threads`: how many compress chunks at once.
    Writer(H5::H5File& file, unsigned compression, unsigned threads)
        : file_(file), compression_(compression), threads_(threads) {}

    H5::Group group(const std::string& path, const std::string& description) {
        H5::Group g = file_.createGroup(path);
        set_attribute(g, "description", description);
        return g;
    }

    // A 1-D or 2-D double dataset, chunked (and compressed if asked) so that
    // large outputs can later be written incrementally.
    H5::DataSet dataset(const H5::Group& parent, const std::string& name,
                        std::span<const double> values, std::vector<hsize_t> dims,
                        const DatasetInfo& info) {
        H5::DSetCreatPropList properties;
        hsize_t total = 1;
        for (hsize_t d : dims) {
            total *= d;
        }
        if (total > 0) {
            std::vector<hsize_t> chunk = dims;
            // Whole rows, up to about 1 MiB a chunk.
            const hsize_t row = dims.size() == 2 ? dims[1] : 1;
            chunk[0] = std::clamp<hsize_t>((1u << 17) / std::max<hsize_t>(row, 1), 1, dims[0]);
            properties.setChunk(static_cast<int>(chunk.size()), chunk.data());
            if (compression_ > 0) {
                properties.setShuffle();
                properties.setDeflate(static_cast<int>(compression_));
            }
        }
        H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
        H5::DataSet set =
            parent.createDataSet(name, H5::PredType::NATIVE_DOUBLE, space, properties);
        if (total > 0) {
            write_chunked(set, values.data(), threads_);
        }
        describe(set, info.units, info.description);
        return set;
    }

  private:
    H5::H5File& file_;
    unsigned compression_;
    unsigned threads_;
};

// A 1-D dataset of `rows` records, written from `data` (memory layout
// `memory_type`) when there are any.
H5::DataSet write_rows(const H5::Group& group, const std::string& name,
                       const H5::DataType& file_type, const H5::DataType& memory_type,
                       const void* data, hsize_t rows) {
    H5::DataSet set = group.createDataSet(name, file_type, H5::DataSpace(1, &rows));
    if (rows > 0) {
        set.write(data, memory_type);
    }
    return set;
}

// Describes the events table once every event is in it.
void describe_events(EventTable& table, const Results& results) {
    H5::DataSet& set = table.dataset();
    describe(set, "see columns",
             "liquidations on the sample paths (the first max_per_path of each), in path then "
             "time order: path, step, cascade round, account index, cohort index, side (+1 long, "
             "-1 short), backstop (1: taken over by the backstop vault), size (units of the "
             "asset), trigger_price and fill_price (quote currency), penalty and shortfall "
             "(quote currency)");
    set_attribute(set, "max_per_path", results.max_events_per_path);
    set_attribute(set, "truncated_paths", results.truncated_event_paths);
}

// A fixed-length, null-padded UTF-8 string type wide enough for every text:
// tables of fixed-size rows have the same bytes whatever the run (variable-
// length strings would store heap addresses in memory-order reads).
H5::StrType fixed_string_type(const std::vector<std::string>& texts) {
    std::size_t width = 1;
    for (const std::string& t : texts) {
        width = std::max(width, t.size());
    }
    H5::StrType type(H5::PredType::C_S1, width);
    type.setCset(H5T_CSET_UTF8);
    type.setStrpad(H5T_STR_NULLPAD);
    return type;
}

void write_population(Writer& writer, const Results& results) {
    H5::Group group =
        writer.group("/population", "the leveraged population and what happened to it");
    std::vector<std::string> names;
    for (const CohortRow& c : results.cohorts) {
        names.push_back(c.name);
    }
    const H5::StrType name_type = fixed_string_type(names);
    const std::size_t width = name_type.getSize();
    // Rows packed by hand: name, then the numbers, no padding.
    const std::size_t row_bytes =
        width + sizeof(std::int8_t) + 3 * sizeof(std::uint64_t) + 3 * sizeof(double);
    H5::CompType type(row_bytes);
    std::size_t offset = 0;
    const auto member = [&](const char* name, const H5::DataType& t) {
        type.insertMember(name, offset, t);
        offset += t.getSize();
    };
    member("name", name_type);
    member("side", H5::PredType::NATIVE_INT8);
    member("accounts", H5::PredType::NATIVE_UINT64);
    member("excluded", H5::PredType::NATIVE_UINT64);
    member("clipped", H5::PredType::NATIVE_UINT64);
    member("notional", H5::PredType::NATIVE_DOUBLE);
    member("collateral", H5::PredType::NATIVE_DOUBLE);
    member("liquidated_accounts_mean", H5::PredType::NATIVE_DOUBLE);
    std::vector<char> bytes(row_bytes * results.cohorts.size(), 0);
    for (std::size_t i = 0; i < results.cohorts.size(); ++i) {
        const CohortRow& c = results.cohorts[i];
        char* out = bytes.data() + i * row_bytes;
        // The name field is fixed-width and zero-padded (the buffer starts zeroed).
        std::copy(c.name.begin(), c.name.end(), out);
        out += width;
        const auto put = [&out](const auto& value) {
            std::memcpy(out, &value, sizeof value);
            out += sizeof value;
        };
        put(c.side);
        put(c.accounts);
        put(c.excluded);
        put(c.clipped);
        put(c.notional);
        put(c.collateral);
        put(c.liquidated_accounts_mean);
    }
    H5::DataSet cohorts =
        write_rows(group, "cohorts", type, type, bytes.data(), results.cohorts.size());
    describe(cohorts, "see columns",
             "one row per cohort (index = the cohort column of /events/liquidations): name, side "
             "(+1 long, -1 short), accounts in the population, accounts excluded because they were "
             "already below maintenance at the initial price, accounts whose leverage was clipped "
             "to the venue maximum, entry notional and collateral (quote currency), and the mean "
             "number of its accounts liquidated per path");

    const H5::StrType label_type = fixed_string_type(results.imported_accounts);
    const std::size_t label_width = label_type.getSize();
    std::vector<char> labels(label_width * results.imported_accounts.size(), 0);
    for (std::size_t i = 0; i < results.imported_accounts.size(); ++i) {
        const std::string& label = results.imported_accounts[i];
        std::memcpy(labels.data() + i * label_width, label.data(), label.size());
    }
    H5::DataSet imported = write_rows(group, "imported_accounts", label_type, label_type,
                                      labels.data(), results.imported_accounts.size());
    describe(imported, "",
             "account ids from the positions CSV, in file order; the account index of row i is "
             "first_account + i");
    set_attribute(imported, "first_account", results.first_imported_account);
}

// What `cascade run --resume` needs beyond the other groups; only in files
// of stopped runs. Exact bands keep every path's values (/checkpoint/series),
// sketched ones their merged state (/checkpoint/sketch).
void write_checkpoint(Writer& writer, const Checkpoint& checkpoint, bool exact_bands) {
    H5::Group group = writer.group(
        "/checkpoint",
        "state of a stopped run that `cascade run --resume FILE` continues from; absent when the "
        "run is complete");
    set_attribute(group, "population_fingerprint", checkpoint.population_fingerprint);
    if (exact_bands) {
        H5::Group series = writer.group("/checkpoint/series",
                                        "every completed path's values of each recorded series");
        for (const SampleSet& s : checkpoint.series_values) {
            writer.dataset(series, s.info.name, s.values.data, {s.values.rows, s.values.cols},
                           s.info);
        }
    } else {
        writer.group("/checkpoint/sketch",
                     "each recorded series' merged state under sketched bands: moments and every "
                     "grid point's sketch");
    }
    for (const Checkpoint::SketchedSeries& s : checkpoint.sketched_series) {
        H5::Group g = writer.group("/checkpoint/sketch/" + s.name, s.name);
        std::vector<double> moments = s.mean;
        moments.insert(moments.end(), s.m2.begin(), s.m2.end());
        H5::DataSet m = writer.dataset(
            g, "moments", moments, {2, s.mean.size()},
            {"moments", "", "row 0 the running mean, row 1 the sum of squared deviations from it"});
        set_attribute(m, "count", s.count);
        const std::array<hsize_t, 2> dims = {s.buckets.size(), 4};
        H5::DataSet buckets =
            g.createDataSet("buckets", H5::PredType::NATIVE_INT64, H5::DataSpace(2, dims.data()));
        if (dims[0] > 0) {
            buckets.write(s.buckets.data(), H5::PredType::NATIVE_INT64);
        }
        describe(buckets, "see columns",
                 "every grid point's non-empty sketch buckets, row (grid point, sign, key, count): "
                 "sign 0 zero, +1 or -1 the bucket ceil(ln|value| / ln g) of a positive or "
                 "negative value, 2 NaN");
    }
    const hsize_t cohorts = checkpoint.cohort_liquidations.size();
    H5::DataSet counts =
        write_rows(group, "cohort_liquidations", H5::PredType::NATIVE_UINT64,
                   H5::PredType::NATIVE_UINT64, checkpoint.cohort_liquidations.data(), cohorts);
    describe(counts, "accounts", "per cohort, accounts liquidated summed over the completed paths");
}

void write_contents(H5::H5File& file, EventTable& events, const Results& results,
                    const Scenario& scenario) {
    H5::Group root = file.openGroup("/");
    write_provenance(root, "cascade-results", kFormatVersion);
    set_attribute(root, "scenario_name", scenario.name);
    set_attribute(root, "scenario", scenario.resolved_json);
    set_attribute(root, "seed", results.run.seed);
    set_attribute(root, "paths", results.run.paths);
    set_attribute(root, "steps", results.run.steps);
    set_attribute(root, "threads", results.run.threads);
    // Whether every path asked for is in this file (0 after an interrupted run).
    set_attribute(root, "complete", results.run.paths_completed == results.run.paths ? 1 : 0);
    set_attribute(root, "paths_completed", results.run.paths_completed);
    set_attribute(root, "engine", results.run.engine);
    set_attribute(root, "max_ledger_imbalance", results.run.max_ledger_imbalance);
    set_attribute(root, "population_seconds", results.run.population_seconds);
    set_attribute(root, "simulation_seconds", results.run.simulation_seconds);
    set_attribute(root, "reduction_seconds", results.run.reduction_seconds);

    Writer writer(file, scenario.output.compression, std::max(1u, results.run.threads));
    const hsize_t points = results.time_seconds.size();
    writer.dataset(root, "time", results.time_seconds, {points},
                   {"time", "s", "time of each grid point since the start of the run"});

    H5::Group paths = writer.group("/paths", "one value per simulated path, in path order");
    for (const PathColumn& column : results.paths) {
        writer.dataset(paths, column.info.name, column.values, {column.values.size()}, column.info);
    }

    H5::Group series = writer.group("/series", "statistics over paths at every grid point");
    for (const StepSeries& s : results.series) {
        H5::Group g = writer.group("/series/" + s.info.name, s.info.description);
        writer.dataset(g, "mean", s.mean, {points},
                       {"mean", s.info.units, "mean over paths of the " + s.info.description});
        writer.dataset(g, "std", s.standard_deviation, {points},
                       {"std", s.info.units,
                        "sample standard deviation over paths of the " + s.info.description});
        H5::DataSet q =
            writer.dataset(g, "quantiles", s.quantiles.data, {s.quantiles.rows, s.quantiles.cols},
                           {"quantiles", s.info.units,
                            "quantiles over paths of the " + s.info.description +
                                "; column j is level levels[j]"});
        set_array_attribute<double>(q, "levels", results.quantile_levels);
        if (results.band_relative_error == 0.0) {
            set_attribute(q, "method",
                          std::string("exact; linear interpolation (Hyndman-Fan type 7)"));
        } else {
            set_attribute(q, "method",
                          fmt::format("sketch; logarithmic buckets of relative error {:g} "
                                      "(DDSketch), exact counts, linear interpolation "
                                      "(Hyndman-Fan type 7) between the buckets' values",
                                      results.band_relative_error));
        }
        set_attribute(q, "relative_error", results.band_relative_error);
        set_attribute(q, "collapsed_points", s.collapsed_points);
    }

    H5::Group samples = writer.group("/samples", "the first sample paths in full, row per path");
    for (const SampleSet& s : results.samples) {
        writer.dataset(samples, s.info.name, s.values.data, {s.values.rows, s.values.cols}, s.info);
    }

    describe_events(events, results);
    write_population(writer, results);

    if (results.run.paths_completed < results.run.paths) {
        write_checkpoint(writer, results.checkpoint, results.band_relative_error == 0.0);
    }

    H5::Group metrics =
        writer.group("/metrics", "estimates over all paths, with standard errors and raw moments");
    for (const Metric& m : results.metrics) {
        H5::DataSet set = metrics.createDataSet(m.info.name, H5::PredType::NATIVE_DOUBLE,
                                                H5::DataSpace(H5S_SCALAR));
        set.write(&m.value, H5::PredType::NATIVE_DOUBLE);
        describe(set, m.info.units, m.info.description);
        set_attribute(set, "standard_error", m.standard_error);
        set_attribute(set, "ci_low", m.ci_low);
        set_attribute(set, "ci_high", m.ci_high);
        set_attribute(set, "count", m.count);
        set_attribute(set, "sum", m.sum);
        set_attribute(set, "sum_squares", m.sum_squares);
    }
}

}  // namespace

void check_output_path(const fs::path& path) {
    const std::string source = path.string();
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
        throw InputError(
            {Diagnostic{source, "", "output path is a directory; expected a file name"}});
    }
    const fs::path directory = path.has_parent_path() ? path.parent_path() : fs::path(".");
    if (!fs::is_directory(directory, ec)) {
        throw InputError({Diagnostic{
            source, "", fmt::format("output directory {} does not exist", directory.string())}});
    }
    if (::access(directory.c_str(), W_OK | X_OK) != 0) {
        throw InputError({Diagnostic{
            source, "", fmt::format("output directory {} is not writable", directory.string())}});
    }
}

void check_output_space(const fs::path& path, std::uint64_t bytes, std::uint64_t available) {
    if (bytes <= available) {
        return;
    }
    constexpr double kGiB = 1ULL << 30;
    throw InputError({Diagnostic{
        path.string(), "",
        fmt::format("the results could take up to {:.2f} GiB (uncompressed; gzip usually makes "
                    "them smaller) and the file system has {:.2f} GiB free. Free some space, "
                    "write elsewhere with -o, keep fewer /output/sample_paths or a lower "
                    "/output/max_events_per_path, or run anyway with --no-space-check",
                    static_cast<double>(bytes) / kGiB, static_cast<double>(available) / kGiB)}});
}

struct ResultsFile::Contents {
    AtomicH5File out;
    // Holds HDF5 handles into the file, so it goes before the file is closed.
    std::optional<EventTable> events;

    Contents(const fs::path& path, unsigned compression) : out(path) {
        try {
            H5::Group group = out.file().createGroup("/events");
            set_attribute(group, "description", std::string("what happened on the sample paths"));
            events.emplace(group, "liquidations", compression, path.string());
        } catch (const H5::Exception& e) {
            throw write_error(path, e);
        }
    }
};

ResultsFile::ResultsFile(const fs::path& path, const Scenario& scenario)
    : scenario_(scenario),
      contents_(std::make_unique<Contents>(path, scenario.output.compression)) {}

ResultsFile::~ResultsFile() = default;

EventSink& ResultsFile::events() {
    return *contents_->events;
}

void ResultsFile::commit(const Results& results) {
    try {
        contents_->events->close();
        write_contents(contents_->out.file(), *contents_->events, results, scenario_);
    } catch (const H5::Exception& e) {
        throw write_error(contents_->out.path(), e);
    }
    contents_->events.reset();
    contents_->out.commit();
}

void write_results(const fs::path& path, const Results& results, const Scenario& scenario) {
    ResultsFile file(path, scenario);
    // The events' chunks are compressed on the run's number of threads.
    tbb::task_arena arena(static_cast<int>(std::max(1u, results.run.threads)));
    arena.execute([&] {
        file.events().append(results.events);
        file.events().close();
    });
    file.commit(results);
}

}  // namespace cascade
