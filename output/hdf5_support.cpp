#include "output/hdf5_support.hpp"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <ctime>
#include <optional>
#include <vector>

#include <fmt/format.h>
#include <tbb/enumerable_thread_specific.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>
#include <zlib.h>

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

AtomicH5File::AtomicH5File(std::filesystem::path path) : path_(std::move(path)) {
    check_output_path(path_);
    temporary_ =
        path_.parent_path() / fmt::format(".{}.{}.tmp", path_.filename().string(), ::getpid());
    H5::Exception::dontPrint();
    try {
        file_ = H5::H5File(temporary_.string(), H5F_ACC_TRUNC);
    } catch (const H5::Exception& e) {
        std::error_code ignored;
        std::filesystem::remove(temporary_, ignored);
        throw write_error(path_, e);
    }
}

AtomicH5File::~AtomicH5File() {
    if (committed_) {
        return;
    }
    try {
        file_.close();
    } catch (const H5::Exception&) {
        // Removed below whatever state it is in.
    }
    std::error_code ignored;
    std::filesystem::remove(temporary_, ignored);
}

void AtomicH5File::commit() {
    try {
        file_.close();
    } catch (const H5::Exception& e) {
        throw write_error(path_, e);
    }
    std::filesystem::rename(temporary_, path_);
    committed_ = true;
}

std::runtime_error write_error(const std::filesystem::path& path, const H5::Exception& e) {
    return std::runtime_error(fmt::format("{}: writing results failed: {} ({})", path.string(),
                                          e.getDetailMsg(), e.getFuncName()));
}

void write_hdf5_atomically(const std::filesystem::path& path,
                           const std::function<void(H5::H5File&)>& fill) {
    AtomicH5File out(path);
    try {
        fill(out.file());
    } catch (const H5::Exception& e) {
        throw write_error(path, e);
    }
    out.commit();
}

namespace {

// HDF5's shuffle filter (H5Zshuffle.c): byte j of every element together,
// then any bytes left over past the last whole element.
std::vector<unsigned char> shuffled(const unsigned char* bytes, std::size_t size,
                                    std::size_t element) {
    std::vector<unsigned char> out(size);
    const std::size_t elements = size / element;
    if (element <= 1 || elements <= 1) {
        std::copy(bytes, bytes + size, out.begin());
        return out;
    }
    for (std::size_t j = 0; j < element; ++j) {
        for (std::size_t i = 0; i < elements; ++i) {
            out[j * elements + i] = bytes[i * element + j];
        }
    }
    std::copy(bytes + elements * element, bytes + size, out.begin() + elements * element);
    return out;
}

}  // namespace

std::optional<ChunkFilters> chunk_filters(const H5::DSetCreatPropList& properties) {
    ChunkFilters filters;
    const int count = properties.getNfilters();
    for (int i = 0; i < count; ++i) {
        unsigned flags = 0;
        std::size_t values = 8;
        std::array<unsigned, 8> value{};
        std::array<char, 64> name{};
        unsigned config = 0;
        const H5Z_filter_t filter =
            properties.getFilter(i, flags, values, value.data(), name.size(), name.data(), config);
        if (filter == H5Z_FILTER_SHUFFLE && i == 0) {
            filters.shuffle = true;
        } else if (filter == H5Z_FILTER_DEFLATE && i == count - 1 && values >= 1) {
            filters.deflate_level = static_cast<int>(value[0]);
        } else {
            return std::nullopt;
        }
    }
    return filters;
}

std::vector<unsigned char> filtered_chunk(std::span<const unsigned char> bytes, std::size_t element,
                                          const ChunkFilters& filters) {
    const std::size_t size = bytes.size();
    std::vector<unsigned char> chunk = filters.shuffle
                                           ? shuffled(bytes.data(), size, element)
                                           : std::vector<unsigned char>(bytes.begin(), bytes.end());
    if (filters.deflate_level < 0) {
        return chunk;
    }
    // H5Zdeflate.c: compress2 at the dataset's level, into a buffer of this size.
    uLongf compressed_size = static_cast<uLongf>(std::ceil(static_cast<double>(size) * 1.001)) + 12;
    std::vector<unsigned char> compressed(compressed_size);
    if (compress2(compressed.data(), &compressed_size, chunk.data(), static_cast<uLong>(size),
                  filters.deflate_level) != Z_OK) {
        throw std::runtime_error("zlib could not compress a chunk");
    }
    compressed.resize(compressed_size);
    return compressed;
}

void store_chunk(const H5::DataSet& set, std::span<const hsize_t> offset,
                 std::span<const unsigned char> chunk) {
    if (H5Dwrite_chunk(set.getId(), H5P_DEFAULT, 0, offset.data(), chunk.size(), chunk.data()) <
        0) {
        throw H5::DataSetIException("store_chunk", "H5Dwrite_chunk failed");
    }
}

void write_chunked(H5::DataSet& set, const RowWriter& rows, unsigned threads) {
    const H5::DataType type = set.getDataType();
    const H5::DataSpace space = set.getSpace();
    const int rank = space.getSimpleExtentNdims();
    std::array<hsize_t, 2> dims{};
    std::array<hsize_t, 2> chunk{};
    if (rank < 1 || rank > 2) {
        throw std::logic_error("write_chunked: a 1-D or 2-D dataset only");
    }
    space.getSimpleExtentDims(dims.data());
    const std::size_t element = type.getSize();
    const std::size_t row = (rank == 2 ? dims[1] : 1) * element;
    const std::size_t total = dims[0] * row;
    const H5::DSetCreatPropList properties = set.getCreatePlist();
    const std::optional<ChunkFilters> filters =
        properties.getLayout() == H5D_CHUNKED ? chunk_filters(properties) : std::nullopt;
    if (filters) {
        properties.getChunk(rank, chunk.data());
    }
    if (!filters || (rank == 2 && chunk[1] != dims[1]) || dims[0] == 0) {
        std::vector<unsigned char> whole(total);
        if (total > 0) {
            rows(0, dims[0], whole.data());
        }
        set.write(whole.data(), type);
        return;
    }
    // The last chunk is padded with zeros (the fill value) to the chunk's
    // full size, as HDF5 stores it.
    const std::size_t chunk_bytes = chunk[0] * row;
    const hsize_t chunks = (dims[0] + chunk[0] - 1) / chunk[0];
    // In batches, so that the compressed chunks never hold much more than a batch.
    const hsize_t batch = std::max<hsize_t>(1, (hsize_t{64} << 20) / chunk_bytes);
    tbb::task_arena arena(static_cast<int>(std::max(1u, threads)));
    tbb::enumerable_thread_specific<std::vector<unsigned char>> scratch(
        [chunk_bytes] { return std::vector<unsigned char>(chunk_bytes); });
    std::vector<std::vector<unsigned char>> stored;
    for (hsize_t first = 0; first < chunks; first += batch) {
        const hsize_t count = std::min(batch, chunks - first);
        stored.assign(count, {});
        arena.execute([&] {
            tbb::parallel_for(hsize_t{0}, count, [&](hsize_t c) {
                std::vector<unsigned char>& bytes = scratch.local();
                const hsize_t first_row = (first + c) * chunk[0];
                const hsize_t chunk_rows = std::min(chunk[0], dims[0] - first_row);
                rows(first_row, chunk_rows, bytes.data());
                std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(chunk_rows * row),
                          bytes.end(), 0);
                stored[c] = filtered_chunk(bytes, element, *filters);
            });
        });
        for (hsize_t c = 0; c < count; ++c) {
            const std::array<hsize_t, 2> offset = {(first + c) * chunk[0], 0};
            store_chunk(set, offset, stored[c]);
        }
    }
}

void write_chunked(H5::DataSet& set, const void* data, unsigned threads) {
    const H5::DataSpace space = set.getSpace();
    std::array<hsize_t, 2> dims{1, 1};
    space.getSimpleExtentDims(dims.data());
    const std::size_t row =
        (space.getSimpleExtentNdims() == 2 ? dims[1] : 1) * set.getDataType().getSize();
    const auto* bytes = static_cast<const unsigned char*>(data);
    write_chunked(
        set,
        [bytes, row](hsize_t first, hsize_t count, unsigned char* out) {
            std::copy(bytes + first * row, bytes + (first + count) * row, out);
        },
        threads);
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
