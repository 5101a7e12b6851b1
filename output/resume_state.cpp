#include "output/resume_state.hpp"

#include <H5Cpp.h>
#include <fmt/format.h>

#include "output/hdf5_support.hpp"
#include "sim/errors.hpp"

namespace cascade {
namespace {

std::vector<hsize_t> dimensions(const H5::DataSet& set) {
    const H5::DataSpace space = set.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    space.getSimpleExtentDims(dims.data());
    return dims;
}

// Every 1-D (column) or 2-D (matrix) float dataset of a group, by name.
template <class Item>
std::vector<Item> read_group(const H5::H5File& h5, const std::string& path) {
    std::vector<Item> items;
    const H5::Group group = h5.openGroup(path);
    for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
        const std::string name = group.getObjnameByIdx(i);
        const H5::DataSet set = group.openDataSet(name);
        const std::vector<hsize_t> dims = dimensions(set);
        Item item;
        item.info.name = name;
        if constexpr (std::is_same_v<Item, PathColumn>) {
            item.values.resize(dims.at(0));
            if (!item.values.empty()) {
                set.read(item.values.data(), H5::PredType::NATIVE_DOUBLE);
            }
        } else {
            item.values = Matrix(dims.at(0), dims.at(1));
            if (!item.values.data.empty()) {
                set.read(item.values.data.data(), H5::PredType::NATIVE_DOUBLE);
            }
        }
        items.push_back(std::move(item));
    }
    return items;
}

}  // namespace

ResumeState read_resume_state(const std::filesystem::path& file) {
    const std::string source = file.string();
    H5::Exception::dontPrint();
    const H5::H5File h5 = open_results_file(file);
    const auto refuse = [&](const std::string& message) {
        throw InputError({Diagnostic{source, "", message}});
    };
    try {
        const H5::Group root = h5.openGroup("/");
        ResumeState state;
        state.file = file;
        const auto paths = read_scalar_attribute<std::uint64_t>(root, "paths", 0);
        state.paths_completed =
            read_scalar_attribute<std::uint64_t>(root, "paths_completed", paths);
        if (state.paths_completed >= paths) {
            refuse(fmt::format("the run is complete already ({} paths); nothing to resume", paths));
        }
        if (!h5.nameExists("/checkpoint")) {
            refuse(
                "an incomplete results file without a /checkpoint group (written by a cascade "
                "that could not resume?); run the scenario again");
        }
        state.scenario_json = read_string_attribute(root, "scenario");
        state.engine = read_string_attribute(root, "engine");
        state.cascade_version = read_string_attribute(root, "cascade_version");
        state.git_revision = read_string_attribute(root, "git_revision");
        state.paths = read_group<PathColumn>(h5, "/paths");
        state.samples = read_group<SampleSet>(h5, "/samples");
        // Exact bands' checkpoint, or (below) sketched bands'; the run checks
        // that the one its scenario needs is there.
        if (h5.nameExists("/checkpoint/series")) {
            state.checkpoint.series_values = read_group<SampleSet>(h5, "/checkpoint/series");
        }
        if (h5.nameExists("/checkpoint/sketch")) {
            const H5::Group sketch = h5.openGroup("/checkpoint/sketch");
            for (hsize_t i = 0; i < sketch.getNumObjs(); ++i) {
                Checkpoint::SketchedSeries series;
                series.name = sketch.getObjnameByIdx(i);
                const H5::Group g = sketch.openGroup(series.name);
                const H5::DataSet moments = g.openDataSet("moments");
                const std::vector<hsize_t> shape = dimensions(moments);
                if (shape.size() != 2 || shape[0] != 2) {
                    throw std::out_of_range("moments");
                }
                std::vector<double> values(2 * shape[1]);
                if (!values.empty()) {
                    moments.read(values.data(), H5::PredType::NATIVE_DOUBLE);
                }
                series.mean.assign(values.begin(), values.begin() + static_cast<long>(shape[1]));
                series.m2.assign(values.begin() + static_cast<long>(shape[1]), values.end());
                series.count = read_scalar_attribute<std::uint64_t>(moments, "count", 0);
                const H5::DataSet buckets = g.openDataSet("buckets");
                const std::vector<hsize_t> rows = dimensions(buckets);
                if (rows.size() != 2 || rows[1] != 4) {
                    throw std::out_of_range("buckets");
                }
                series.buckets.resize(rows[0]);
                if (!series.buckets.empty()) {
                    buckets.read(series.buckets.data(), H5::PredType::NATIVE_INT64);
                }
                state.checkpoint.sketched_series.push_back(std::move(series));
            }
        }

        const H5::DataSet events = h5.openDataSet("/events/liquidations");
        state.events.resize(dimensions(events).at(0));
        if (!state.events.empty()) {
            events.read(state.events.data(), liquidation_event_type());
        }
        const H5::DataSet cohorts = h5.openDataSet("/checkpoint/cohort_liquidations");
        state.checkpoint.cohort_liquidations.resize(dimensions(cohorts).at(0));
        if (!state.checkpoint.cohort_liquidations.empty()) {
            cohorts.read(state.checkpoint.cohort_liquidations.data(), H5::PredType::NATIVE_UINT64);
        }
        state.checkpoint.population_fingerprint = read_scalar_attribute<std::uint64_t>(
            h5.openGroup("/checkpoint"), "population_fingerprint", 0);
        return state;
    } catch (const H5::Exception& e) {
        throw_damaged_file(file, e);
    } catch (const std::out_of_range&) {
        refuse("a dataset has an unexpected shape; the file is damaged");
    }
    throw std::logic_error("unreachable");
}

}  // namespace cascade
