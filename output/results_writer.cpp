#include "output/results_writer.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <stdexcept>

#include <H5Cpp.h>
#include <fmt/format.h>

#include "sim/build_info.hpp"
#include "sim/errors.hpp"

namespace cascade {
namespace {

namespace fs = std::filesystem;

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

H5::StrType utf8_string_type() {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    return type;
}

void set_attribute(H5::H5Object& object, const std::string& name, const std::string& value) {
    const H5::StrType type = utf8_string_type();
    H5::Attribute attribute = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    attribute.write(type, value);
}

template <class T>
const H5::PredType& native_type() {
    if constexpr (std::is_same_v<T, double>) {
        return H5::PredType::NATIVE_DOUBLE;
    } else if constexpr (std::is_same_v<T, std::uint64_t>) {
        return H5::PredType::NATIVE_UINT64;
    } else if constexpr (std::is_same_v<T, std::uint32_t>) {
        return H5::PredType::NATIVE_UINT32;
    } else {
        static_assert(std::is_same_v<T, int>);
        return H5::PredType::NATIVE_INT;
    }
}

template <class T>
void set_attribute(H5::H5Object& object, const std::string& name, T value) {
    H5::Attribute attribute =
        object.createAttribute(name, native_type<T>(), H5::DataSpace(H5S_SCALAR));
    attribute.write(native_type<T>(), &value);
}

template <class T>
void set_array_attribute(H5::H5Object& object, const std::string& name, std::span<const T> values) {
    const hsize_t size = values.size();
    H5::Attribute attribute =
        object.createAttribute(name, native_type<T>(), H5::DataSpace(1, &size));
    attribute.write(native_type<T>(), values.data());
}

void describe(H5::H5Object& object, const std::string& units, const std::string& description) {
    set_attribute(object, "units", units);
    set_attribute(object, "description", description);
}

class Writer {
  public:
    Writer(H5::H5File& file, unsigned compression) : file_(file), compression_(compression) {}

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
            set.write(values.data(), H5::PredType::NATIVE_DOUBLE);
        }
        describe(set, info.units, info.description);
        return set;
    }

  private:
    H5::H5File& file_;
    unsigned compression_;
};

void write_contents(H5::H5File& file, const Results& results, const Scenario& scenario) {
    H5::Group root = file.openGroup("/");
    set_attribute(root, "filetype", std::string("cascade-results"));
    set_array_attribute<int>(root, "format_version", kFormatVersion);
    set_attribute(root, "cascade_version", std::string(cascade_version()));
    set_attribute(root, "git_revision", std::string(git_revision()));
    set_attribute(root, "created_utc", utc_now_iso8601());
    set_attribute(root, "scenario_name", scenario.name);
    set_attribute(root, "scenario", scenario.resolved_json);
    set_attribute(root, "seed", results.run.seed);
    set_attribute(root, "paths", results.run.paths);
    set_attribute(root, "steps", results.run.steps);
    set_attribute(root, "threads", results.run.threads);
    set_attribute(root, "simulation_seconds", results.run.simulation_seconds);
    set_attribute(root, "reduction_seconds", results.run.reduction_seconds);

    Writer writer(file, scenario.output.compression);
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
        set_attribute(q, "method", std::string("exact; linear interpolation (Hyndman-Fan type 7)"));
    }

    H5::Group samples = writer.group("/samples", "the first sample paths in full, row per path");
    for (const SampleSet& s : results.samples) {
        writer.dataset(samples, s.info.name, s.values.data, {s.values.rows, s.values.cols}, s.info);
    }

    H5::Group metrics =
        writer.group("/metrics", "estimates over all paths, with standard errors and raw moments");
    for (const Metric& m : results.metrics) {
        H5::DataSet set = metrics.createDataSet(m.info.name, H5::PredType::NATIVE_DOUBLE,
                                                H5::DataSpace(H5S_SCALAR));
        set.write(&m.value, H5::PredType::NATIVE_DOUBLE);
        describe(set, m.info.units, m.info.description);
        set_attribute(set, "standard_error", m.standard_error);
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

void write_results(const fs::path& path, const Results& results, const Scenario& scenario) {
    check_output_path(path);
    const fs::path temporary =
        path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid());
    H5::Exception::dontPrint();
    try {
        {
            H5::H5File file(temporary.string(), H5F_ACC_TRUNC);
            write_contents(file, results, scenario);
            file.close();
        }
        fs::rename(temporary, path);
    } catch (const H5::Exception& e) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw std::runtime_error(fmt::format("{}: writing results failed: {} ({})", path.string(),
                                             e.getDetailMsg(), e.getFuncName()));
    } catch (...) {
        std::error_code ignored;
        fs::remove(temporary, ignored);
        throw;
    }
}

}  // namespace cascade
