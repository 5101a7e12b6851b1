#include "output/sweep_writer.hpp"

#include <H5Cpp.h>
#include <fmt/format.h>

#include "output/hdf5_support.hpp"

namespace cascade {
namespace {

H5::Group group(H5::H5File& file, const std::string& path, const std::string& description) {
    H5::Group g = file.createGroup(path);
    set_attribute(g, "description", description);
    return g;
}

void dataset(const H5::Group& parent, const std::string& name, std::span<const double> values,
             const std::vector<hsize_t>& dims, const std::string& units,
             const std::string& description) {
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data());
    H5::DataSet set = parent.createDataSet(name, H5::PredType::NATIVE_DOUBLE, space);
    if (!values.empty()) {
        set.write(values.data(), H5::PredType::NATIVE_DOUBLE);
    }
    describe(set, units, description);
}

void write_scenario_attributes(H5::Group& root, const Scenario& scenario) {
    set_attribute(root, "scenario_name", scenario.name);
    set_attribute(root, "scenario", scenario.resolved_json);
    set_attribute(root, "seed", scenario.simulation.seed);
}

}  // namespace

void write_sweep(const std::filesystem::path& path, const SweepResults& sweep,
                 const Scenario& baseline_scenario) {
    write_hdf5_atomically(path, [&](H5::H5File& file) {
        H5::Group root = file.openGroup("/");
        write_provenance(root, "cascade-sweep", kSweepFormatVersion);
        write_scenario_attributes(root, baseline_scenario);
        set_attribute(root, "paths", sweep.paths);
        set_attribute(root, "threads", sweep.threads);
        set_attribute(root, "engine", sweep.engine);
        set_attribute(root, "points", static_cast<std::uint64_t>(sweep.grid.points()));
        set_attribute(root, "baseline", static_cast<std::uint64_t>(sweep.baseline));
        set_attribute(root, "max_ledger_imbalance", sweep.max_ledger_imbalance);
        set_attribute(root, "seconds", sweep.seconds);

        std::vector<hsize_t> shape;
        for (std::size_t n : sweep.grid.shape()) {
            shape.push_back(n);
        }
        group(file, "/sweep", "a parameter grid run on common random numbers");
        H5::Group axes =
            group(file, "/sweep/axes", "the swept values, one dataset per axis, in axis order");
        for (std::size_t a = 0; a < sweep.grid.axes.size(); ++a) {
            const GridAxis& axis = sweep.grid.axes[a];
            const std::string name = std::to_string(a);
            dataset(axes, name, axis.values, {axis.values.size()}, "as in the scenario",
                    fmt::format("values of {} along axis {} of every grid array", axis.pointer, a));
            H5::DataSet set = axes.openDataSet(name);
            set_attribute(set, "pointer", axis.pointer);
            set_attribute(set, "spec", axis.text);
        }
        H5::Group metrics = group(file, "/sweep/metrics",
                                  "every run metric at every grid point, one subgroup each");
        for (const SweptMetric& m : sweep.metrics) {
            H5::Group g = group(file, "/sweep/metrics/" + m.info.name, m.info.description);
            const std::string& units = m.info.units;
            dataset(g, "value", m.value, shape, units, "the estimate at each grid point");
            dataset(g, "standard_error", m.standard_error, shape, units,
                    "its standard error, as for the run metric");
            dataset(g, "ci_low", m.ci_low, shape, units, "lower end of its 95 % interval");
            dataset(g, "ci_high", m.ci_high, shape, units, "upper end of its 95 % interval");
            dataset(g, "sum", m.sum, shape, units,
                    "sum over paths of the per-path values the estimate came from (root "
                    "attribute paths is their count)");
            dataset(g, "sum_squares", m.sum_squares, shape, units + " squared",
                    "sum over paths of their squares");
            dataset(g, "difference", m.difference, shape, units,
                    "value minus the value at the baseline point");
            dataset(g, "difference_standard_error", m.difference_standard_error, shape, units,
                    "standard error of the difference, from paired per-path differences "
                    "(common random numbers); 0 at the baseline");
        }
        H5::Group capital = group(file, "/sweep/capital",
                                  "what the settings allow traders: the capital-efficiency side");
        dataset(capital, "max_leverage", sweep.max_leverage, shape, "1",
                "maximum leverage the venue admits, 1 / initial margin");
        dataset(capital, "admitted_share", sweep.admitted_share, shape, "fraction",
                "share of the population's accounts admitted as drawn: neither clipped to the "
                "maximum leverage nor already liquidatable at the start");
    });
}

void write_tune(const std::filesystem::path& path, const TuneResult& tune,
                const TuneOptions& options, const Scenario& scenario) {
    write_hdf5_atomically(path, [&](H5::H5File& file) {
        H5::Group root = file.openGroup("/");
        write_provenance(root, "cascade-tune", kSweepFormatVersion);
        write_scenario_attributes(root, scenario);
        set_attribute(root, "parameter", options.parameter);
        set_attribute(root, "range_low", options.low);
        set_attribute(root, "range_high", options.high);
        set_attribute(root, "prefer", std::string(options.prefer_high ? "high" : "low"));
        set_attribute(root, "target", options.target.text);
        const char* status = tune.status == TuneStatus::found            ? "found"
                             : tune.status == TuneStatus::met_everywhere ? "met_everywhere"
                                                                         : "cannot_be_met";
        set_attribute(root, "status", std::string(status));
        set_attribute(root, "value", tune.value);
        set_attribute(root, "ci_low", tune.ci_low);
        set_attribute(root, "ci_high", tune.ci_high);
        set_attribute(root, "paths", tune.paths);
        set_attribute(root, "result", tune.sentence);
        set_attribute(root, "seconds", tune.seconds);

        group(file, "/tune", "the search for the cheapest setting that meets the target");
        H5::Group trace = group(file, "/tune/trace",
                                "every setting simulated, in the order they ran, one row each");
        const std::size_t n = tune.trace.size();
        const auto column = [&](const char* name, auto field, const std::string& units,
                                const std::string& description) {
            std::vector<double> values(n);
            for (std::size_t i = 0; i < n; ++i) {
                values[i] = static_cast<double>(tune.trace[i].*field);
            }
            dataset(trace, name, values, {n}, units, description);
        };
        column("round", &TuneEvaluation::round, "1",
               "round of the search (paths double from one round to the next)");
        column("paths", &TuneEvaluation::paths, "paths", "paths simulated for this setting");
        column("value", &TuneEvaluation::value, "as in the scenario",
               "value of the tuned parameter");
        column("metric", &TuneEvaluation::metric, "as the metric", "the target's metric");
        column("ci_low", &TuneEvaluation::ci_low, "as the metric",
               "lower end of the metric's 95 % interval");
        column("ci_high", &TuneEvaluation::ci_high, "as the metric",
               "upper end of the metric's 95 % interval");
        column("bound", &TuneEvaluation::bound, "as the metric",
               "the target's bound at this setting");
    });
}

}  // namespace cascade
