#include "output/results_inspector.hpp"

#include <H5Cpp.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "output/hdf5_support.hpp"
#include "output/results_writer.hpp"
#include "sim/errors.hpp"

namespace cascade {
namespace {

std::string type_name(const H5::DataSet& set) {
    const H5::DataType type = set.getDataType();
    switch (type.getClass()) {
        case H5T_FLOAT:
            return fmt::format("float{}", type.getSize() * 8);
        case H5T_INTEGER:
            return fmt::format("int{}", type.getSize() * 8);
        case H5T_STRING:
            return "string";
        case H5T_COMPOUND:
            return fmt::format("table of {} columns", H5::CompType(set).getNmembers());
        default:
            return "other";
    }
}

std::string shape(const H5::DataSet& set) {
    const H5::DataSpace space = set.getSpace();
    const int rank = space.getSimpleExtentNdims();
    if (rank == 0) {
        return "scalar";
    }
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    space.getSimpleExtentDims(dims.data());
    std::string text;
    for (hsize_t d : dims) {
        text += (text.empty() ? "" : " x ") + std::to_string(d);
    }
    return text;
}

// Every dataset below `group_path`, depth first, in name order.
void list_datasets(const H5::H5File& file, const std::string& group_path,
                   std::vector<std::string>& out) {
    const H5::Group group = file.openGroup(group_path);
    for (hsize_t i = 0; i < group.getNumObjs(); ++i) {
        const std::string path =
            (group_path == "/" ? "" : group_path) + "/" + group.getObjnameByIdx(i);
        if (group.getObjTypeByIdx(i) == H5G_GROUP) {
            list_datasets(file, path, out);
        } else {
            out.push_back(path);
        }
    }
}

void print_report(const H5::H5File& file, const std::filesystem::path& path, std::FILE* out) {
    const H5::Group root = file.openGroup("/");
    int version[2] = {0, 0};
    root.openAttribute("format_version").read(H5::PredType::NATIVE_INT, version);
    const auto paths = read_scalar_attribute<std::uint64_t>(root, "paths", 0);
    const auto completed = read_scalar_attribute<std::uint64_t>(root, "paths_completed", paths);
    fmt::print(out, "{}: cascade results, format {}.{}\n", path.string(), version[0], version[1]);
    fmt::print(out, "  scenario   {} (seed {})\n", read_string_attribute(root, "scenario_name"),
               read_scalar_attribute<std::uint64_t>(root, "seed", 0));
    fmt::print(out, "  created    {} by cascade {} ({})\n",
               read_string_attribute(root, "created_utc"),
               read_string_attribute(root, "cascade_version"),
               read_string_attribute(root, "git_revision"));
    fmt::print(out, "  run        {} paths x {} steps, {} engine, {}\n", paths,
               read_scalar_attribute<std::uint64_t>(root, "steps", 0),
               read_string_attribute(root, "engine"),
               completed == paths ? std::string("complete")
                                  : fmt::format("INCOMPLETE: {} of {} paths (finish it with "
                                                "cascade run --resume {})",
                                                completed, paths, path.string()));

    if (file.nameExists("/metrics")) {
        const H5::Group metrics = file.openGroup("/metrics");
        fmt::print(out, "\n  {:<28} {:>14}  {:>31}  {}\n", "metric", "estimate",
                   "95% confidence interval", "units");
        for (hsize_t i = 0; i < metrics.getNumObjs(); ++i) {
            const std::string name = metrics.getObjnameByIdx(i);
            const H5::DataSet set = metrics.openDataSet(name);
            double value = 0.0;
            set.read(&value, H5::PredType::NATIVE_DOUBLE);
            const double nan = std::numeric_limits<double>::quiet_NaN();
            fmt::print(out, "  {:<28} {:>14.6g}  [{:>13.6g}, {:>13.6g}]  {}\n", name, value,
                       read_scalar_attribute(set, "ci_low", nan),
                       read_scalar_attribute(set, "ci_high", nan),
                       read_string_attribute(set, "units"));
        }
    }

    std::vector<std::string> datasets;
    list_datasets(file, "/", datasets);
    fmt::print(out, "\n  {:<42} {:<20} {:<16} {}\n", "dataset", "shape", "type", "units");
    for (const std::string& name : datasets) {
        const H5::DataSet set = file.openDataSet(name);
        fmt::print(out, "  {:<42} {:<20} {:<16} {}\n", name, shape(set), type_name(set),
                   read_string_attribute(set, "units"));
    }
}

}  // namespace

void inspect_results(const std::filesystem::path& file, std::FILE* out) {
    H5::Exception::dontPrint();
    const H5::H5File h5 = open_results_file(file);
    try {
        print_report(h5, file, out);
    } catch (const H5::Exception& e) {
        // Truncated or damaged files fail somewhere inside HDF5.
        throw_damaged_file(file, e);
    }
}

}  // namespace cascade
