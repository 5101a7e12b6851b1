// write_chunked stores exactly the chunks HDF5's own filter pipeline stores:
// the same bytes after shuffle and deflate, the last chunk padded the same way.

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <vector>

#include <H5Cpp.h>

#include "output/hdf5_support.hpp"
#include "sim/random/streams.hpp"
#include "support/support.hpp"

namespace cascade {
namespace {

// A chunked dataset of `dims` doubles in `file`, chunks of `chunk_rows` whole
// rows, shuffled and deflated at `level` when it is above 0.
H5::DataSet chunked_dataset(H5::H5File& file, const std::string& name,
                            const std::vector<hsize_t>& dims, hsize_t chunk_rows, int level) {
    H5::DSetCreatPropList properties;
    std::vector<hsize_t> chunk = dims;
    chunk[0] = chunk_rows;
    properties.setChunk(static_cast<int>(chunk.size()), chunk.data());
    if (level > 0) {
        properties.setShuffle();
        properties.setDeflate(level);
    }
    return file.createDataSet(name, H5::PredType::NATIVE_DOUBLE,
                              H5::DataSpace(static_cast<int>(dims.size()), dims.data()),
                              properties);
}

// Every stored chunk of `set`: its filter mask and its bytes, in chunk order.
std::vector<std::pair<std::uint32_t, std::vector<unsigned char>>> stored_chunks(
    const H5::DataSet& set, hsize_t chunk_rows, hsize_t rows) {
    std::vector<std::pair<std::uint32_t, std::vector<unsigned char>>> chunks;
    for (hsize_t first = 0; first < rows; first += chunk_rows) {
        const std::array<hsize_t, 2> offset = {first, 0};
        hsize_t size = 0;
        REQUIRE(H5Dget_chunk_storage_size(set.getId(), offset.data(), &size) >= 0);
        std::vector<unsigned char> bytes(size);
        std::uint32_t mask = 0;
        REQUIRE(H5Dread_chunk(set.getId(), H5P_DEFAULT, offset.data(), &mask, bytes.data()) >= 0);
        chunks.emplace_back(mask, std::move(bytes));
    }
    return chunks;
}

}  // namespace

TEST_CASE("write_chunked stores the chunks HDF5's filter pipeline stores, bit for bit") {
    test::TempDir dir;
    H5::H5File file((dir / "chunks.h5").string(), H5F_ACC_TRUNC);
    auto rng = make_stream(11, 0, StreamPurpose::price_diffusion);
    for (int level : {0, 1, 6}) {
        for (const std::vector<hsize_t>& dims :
             {std::vector<hsize_t>{1000}, std::vector<hsize_t>{77, 13}}) {
            for (unsigned threads : {1u, 2u}) {
                INFO("level " << level << ", rank " << dims.size() << ", threads " << threads);
                const hsize_t rows = dims[0];
                const hsize_t row = dims.size() == 2 ? dims[1] : 1;
                std::vector<double> values(rows * row);
                for (double& v : values) {
                    // Smooth enough to compress, noisy enough to need every byte.
                    v = 100.0 + 0.01 * uniform01(rng);
                }
                const hsize_t chunk_rows = 30;  // the last chunk is partial
                const std::string tag = std::to_string(level) + "-" + std::to_string(dims.size()) +
                                        "-" + std::to_string(threads);
                H5::DataSet by_hdf5 = chunked_dataset(file, "hdf5-" + tag, dims, chunk_rows, level);
                by_hdf5.write(values.data(), H5::PredType::NATIVE_DOUBLE);
                H5::DataSet by_us = chunked_dataset(file, "ours-" + tag, dims, chunk_rows, level);
                write_chunked(by_us, values.data(), threads);

                const auto expected = stored_chunks(by_hdf5, chunk_rows, rows);
                const auto got = stored_chunks(by_us, chunk_rows, rows);
                REQUIRE(got.size() == expected.size());
                for (std::size_t c = 0; c < got.size(); ++c) {
                    CHECK(got[c].first == expected[c].first);
                    CHECK(got[c].second == expected[c].second);
                }
                // And it reads back as the values.
                std::vector<double> back(values.size());
                by_us.read(back.data(), H5::PredType::NATIVE_DOUBLE);
                CHECK(test::same_bits(back, values));
            }
        }
    }
}

TEST_CASE("write_chunked fills rows through a callback: a packed table from padded records") {
    struct Padded {
        std::uint8_t flag;
        double value;  // 7 bytes of padding before it
    };
    H5::CompType memory(sizeof(Padded));
    memory.insertMember("flag", HOFFSET(Padded, flag), H5::PredType::NATIVE_UINT8);
    memory.insertMember("value", HOFFSET(Padded, value), H5::PredType::NATIVE_DOUBLE);
    H5::CompType packed(H5Tcopy(memory.getId()));
    packed.pack();
    REQUIRE(packed.getSize() == 9);

    std::vector<Padded> records(500);
    for (std::size_t i = 0; i < records.size(); ++i) {
        records[i] = {static_cast<std::uint8_t>(i % 3), 0.5 * static_cast<double>(i)};
    }
    test::TempDir dir;
    H5::H5File file((dir / "table.h5").string(), H5F_ACC_TRUNC);
    H5::DSetCreatPropList properties;
    const hsize_t rows = records.size();
    const hsize_t chunk = 64;
    properties.setChunk(1, &chunk);
    properties.setShuffle();
    properties.setDeflate(1);
    H5::DataSet by_hdf5 = file.createDataSet("hdf5", packed, H5::DataSpace(1, &rows), properties);
    by_hdf5.write(records.data(), memory);
    H5::DataSet by_us = file.createDataSet("ours", packed, H5::DataSpace(1, &rows), properties);
    write_chunked(
        by_us,
        [&](hsize_t first, hsize_t count, unsigned char* out) {
            for (hsize_t r = 0; r < count; ++r) {
                out[r * 9] = records[first + r].flag;
                std::memcpy(out + r * 9 + 1, &records[first + r].value, 8);
            }
        },
        2);
    const auto expected = stored_chunks(by_hdf5, chunk, rows);
    const auto got = stored_chunks(by_us, chunk, rows);
    REQUIRE(got.size() == expected.size());
    for (std::size_t c = 0; c < got.size(); ++c) {
        CHECK(got[c].second == expected[c].second);
    }
}

}  // namespace cascade
