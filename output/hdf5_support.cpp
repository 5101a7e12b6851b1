#include "output/hdf5_support.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include <fmt/format.h>

#include "output/results_writer.hpp"
#include "sim/build_info.hpp"
#include "sim/engine/liquidation_event.hpp"
#include "sim/errors.hpp"

namespace cascade {

std::string utc_now_iso8601() {
    const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

namespace {

H5::StrType utf8_string_type() {
    H5::StrType type(H5::PredType::C_S1, H5T_VARIABLE);
    type.setCset(H5T_CSET_UTF8);
    return type;
}

}  // namespace

void set_attribute(H5::H5Object& object, const std::string& name, const std::string& value) {
    const H5::StrType type = utf8_string_type();
    H5::Attribute attribute = object.createAttribute(name, type, H5::DataSpace(H5S_SCALAR));
    attribute.write(type, value);
}

void describe(H5::H5Object& object, const std::string& units, const std::string& description) {
    set_attribute(object, "units", units);
    set_attribute(object, "description", description);
}

void write_provenance(H5::Group& root, const std::string& filetype, std::span<const int> version) {
    set_attribute(root, "filetype", filetype);
    set_array_attribute<int>(root, "format_version", version);
    set_attribute(root, "cascade_version", std::string(cascade_version()));
    set_attribute(root, "git_revision", std::string(git_revision()));
    set_attribute(root, "created_utc", utc_now_iso8601());
}

void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(H5::H5File&)>& fill) {
    namespace fs = std::filesystem;
    check_output_path(path);
    const fs::path temporary =
        path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid());
    H5::Exception::dontPrint();
    try {
        {
            H5::H5File file(temporary.string(), H5F_ACC_TRUNC);
            fill(file);
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

H5::CompType liquidation_event_type() {
    H5::CompType type(sizeof(LiquidationEvent));
    type.insertMember("path", HOFFSET(LiquidationEvent, path), H5::PredType::NATIVE_UINT64);
    type.insertMember("step", HOFFSET(LiquidationEvent, step), H5::PredType::NATIVE_UINT32);
    type.insertMember("round", HOFFSET(LiquidationEvent, round), H5::PredType::NATIVE_UINT32);
    type.insertMember("account", HOFFSET(LiquidationEvent, account), H5::PredType::NATIVE_UINT64);
    type.insertMember("cohort", HOFFSET(LiquidationEvent, cohort), H5::PredType::NATIVE_UINT32);
    type.insertMember("side", HOFFSET(LiquidationEvent, side), H5::PredType::NATIVE_INT8);
    type.insertMember("backstop", HOFFSET(LiquidationEvent, backstop), H5::PredType::NATIVE_INT8);
    type.insertMember("size", HOFFSET(LiquidationEvent, size), H5::PredType::NATIVE_DOUBLE);
    type.insertMember("trigger_price", HOFFSET(LiquidationEvent, trigger_price),
                      H5::PredType::NATIVE_DOUBLE);
    type.insertMember("fill_price", HOFFSET(LiquidationEvent, fill_price),
                      H5::PredType::NATIVE_DOUBLE);
    type.insertMember("penalty", HOFFSET(LiquidationEvent, penalty), H5::PredType::NATIVE_DOUBLE);
    type.insertMember("shortfall", HOFFSET(LiquidationEvent, shortfall),
                      H5::PredType::NATIVE_DOUBLE);
    return type;
}

std::string read_string_attribute(const H5::H5Object& object, const std::string& name) {
    if (!object.attrExists(name)) {
        return "";
    }
    const H5::Attribute attribute = object.openAttribute(name);
    if (attribute.getDataType().getClass() != H5T_STRING) {
        return "";
    }
    std::string value;
    attribute.read(attribute.getStrType(), value);
    return value;
}

void throw_damaged_file(const std::filesystem::path& file, const H5::Exception& e) {
    throw InputError(
        {Diagnostic{file.string(), "",
                    fmt::format("cannot be read as a results file (truncated or damaged?): {}",
                                e.getDetailMsg())}});
}

H5::H5File open_results_file(const std::filesystem::path& file) {
    const std::string source = file.string();
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        throw InputError({Diagnostic{source, "", "no such file"}});
    }
    if (std::filesystem::is_directory(file, ec)) {
        throw InputError({Diagnostic{source, "", "is a directory; expected a results file"}});
    }
    try {
        if (!H5::H5File::isHdf5(source)) {
            throw InputError({Diagnostic{source, "", "not an HDF5 file"}});
        }
        H5::H5File h5(source, H5F_ACC_RDONLY);
        const H5::Group root = h5.openGroup("/");
        if (read_string_attribute(root, "filetype") != "cascade-results") {
            throw InputError(
                {Diagnostic{source, "",
                            "an HDF5 file, but not a cascade results file (no filetype "
                            "\"cascade-results\")"}});
        }
        int version[2] = {0, 0};
        root.openAttribute("format_version").read(H5::PredType::NATIVE_INT, version);
        if (version[0] != kFormatVersion[0]) {
            throw InputError(
                {Diagnostic{source, "",
                            fmt::format("results format {}.{}; this cascade reads format {}.x",
                                        version[0], version[1], kFormatVersion[0])}});
        }
        return h5;
    } catch (const H5::Exception& e) {
        throw_damaged_file(file, e);
    }
}

}  // namespace cascade
