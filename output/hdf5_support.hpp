#pragma once
// HDF5 pieces shared by the writer and the readers of results files: the
// event record type, attribute reads, and opening a file as a results file.

#include <cstdint>
#include <filesystem>
#include <string>

#include <H5Cpp.h>

namespace cascade {

// The in-memory compound type of LiquidationEvent (native layout, padding and
// all); the file stores it packed.
H5::CompType liquidation_event_type();

// A string attribute, or "" when it is missing or not a string.
std::string read_string_attribute(const H5::H5Object& object, const std::string& name);

// A numeric scalar attribute converted to T (double or uint64), or `fallback`.
template <class T>
T read_scalar_attribute(const H5::H5Object& object, const std::string& name, T fallback) {
    static_assert(std::is_same_v<T, double> || std::is_same_v<T, std::uint64_t>);
    if (!object.attrExists(name)) {
        return fallback;
    }
    const H5::Attribute attribute = object.openAttribute(name);
    T value = fallback;
    attribute.read(std::is_same_v<T, double> ? H5::PredType::NATIVE_DOUBLE
                                             : H5::PredType::NATIVE_UINT64,
                   &value);
    return value;
}

// Opens `file` read-only after checking that it is a cascade results file of
// a format major this program reads. Throws InputError naming the file for a
// missing file, a directory, a file that is not HDF5, a foreign HDF5 file or
// an unsupported major version. Call with H5::Exception::dontPrint() set, and
// treat an H5::Exception from reading it afterwards as a damaged file
// (see throw_damaged_file).
H5::H5File open_results_file(const std::filesystem::path& file);

// The InputError for an HDF5 failure while reading a results file.
[[noreturn]] void throw_damaged_file(const std::filesystem::path& file, const H5::Exception& e);

}  // namespace cascade
