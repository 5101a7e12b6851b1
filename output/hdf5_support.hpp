#pragma once
// HDF5 pieces shared by the writer and the readers of results files: the
// event record type, attribute reads, and opening a file as a results file.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <H5Cpp.h>

namespace cascade {

// ---- Writing ----------------------------------------------------------------

// Now, as ISO 8601 UTC to the second: "2026-03-12T09:30:00Z".
std::string utc_now_iso8601();

// A scalar variable-length UTF-8 string attribute.
void set_attribute(H5::H5Object& object, const std::string& name, const std::string& value);

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

// The `units` and `description` attributes every dataset carries.
void describe(H5::H5Object& object, const std::string& units, const std::string& description);

// Root attributes every cascade file starts with: filetype, format_version,
// cascade_version, git_revision, created_utc.
void write_provenance(H5::Group& root, const std::string& filetype, std::span<const int> version);

// An HDF5 file written under a temporary name in the target's directory and
// renamed into place by commit(): a failure, or destruction before commit(),
// removes the temporary file, so no truncated file is ever left under `path`.
class AtomicH5File {
  public:
    // Checks the path first (see check_output_path), then creates the
    // temporary file; HDF5 failures become std::runtime_error naming `path`.
    explicit AtomicH5File(std::filesystem::path path);
    ~AtomicH5File();
    AtomicH5File(const AtomicH5File&) = delete;
    AtomicH5File& operator=(const AtomicH5File&) = delete;

    H5::H5File& file() { return file_; }
    const std::filesystem::path& path() const { return path_; }
    // Closes the file and renames it into place.
    void commit();

  private:
    std::filesystem::path path_;
    std::filesystem::path temporary_;
    H5::H5File file_;
    bool committed_ = false;
};

// The error for an HDF5 failure while writing `path`.
std::runtime_error write_error(const std::filesystem::path& path, const H5::Exception& e);

// Writes an HDF5 file through `fill` as an AtomicH5File.
void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(H5::H5File&)>& fill);

// The filters cascade puts on chunked datasets: byte shuffle, then deflate.
struct ChunkFilters {
    bool shuffle = false;
    int deflate_level = -1;  // -1: no deflate
};

// The filters of a dataset's creation properties; nullopt when they are
// anything other than ChunkFilters describes.
std::optional<ChunkFilters> chunk_filters(const H5::DSetCreatPropList& properties);

// One whole chunk of `element`-byte values through `filters`, as HDF5's
// filter pipeline would store it (H5Zshuffle.c, H5Zdeflate.c).
std::vector<unsigned char> filtered_chunk(std::span<const unsigned char> bytes, std::size_t element,
                                          const ChunkFilters& filters);

// Stores a filtered chunk at `offset` (one index per dimension) with
// H5Dwrite_chunk; throws H5::DataSetIException.
void store_chunk(const H5::DataSet& set, std::span<const hsize_t> offset,
                 std::span<const unsigned char> chunk);

// Fills the chunked dataset `set`, whose chunks are whole rows, row by row:
// `rows(first, count, out)` writes rows [first, first + count) in the
// dataset's file layout at `out`. The chunks are filled and compressed on up
// to `threads` threads with the dataset's own filters, exactly as HDF5's
// filter pipeline would (byte shuffle, then deflate at the dataset's level),
// and stored with H5Dwrite_chunk: the file is the one set.write() would
// make, written faster and without a packed copy of the whole dataset.
// Datasets with other filters or chunk shapes go through set.write().
using RowWriter = std::function<void(hsize_t first, hsize_t count, unsigned char* out)>;
void write_chunked(H5::DataSet& set, const RowWriter& rows, unsigned threads);

// The same from `data`, the whole extent already in the file layout, row-major.
void write_chunked(H5::DataSet& set, const void* data, unsigned threads);

// ---- Reading ----------------------------------------------------------------

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
    attribute.read(
        std::is_same_v<T, double> ? H5::PredType::NATIVE_DOUBLE : H5::PredType::NATIVE_UINT64,
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
