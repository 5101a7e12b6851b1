// write_chunked and EventTable store exactly the chunks HDF5's own filter
// pipeline stores: the same bytes after shuffle and deflate, the last chunk
// padded the same way.

#include <doctest/doctest.h>

#include <array>
#include <cstring>
#include <vector>

#include <H5Cpp.h>
#include <tbb/task_arena.h>

#include "output/event_table.hpp"
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

// `ours` stores the same chunks, filter masks and bytes, as `reference`.
void check_same_chunks(const H5::DataSet& ours, const H5::DataSet& reference, hsize_t chunk_rows,
                       hsize_t rows) {
    const auto expected = stored_chunks(reference, chunk_rows, rows);
    const auto got = stored_chunks(ours, chunk_rows, rows);
    REQUIRE(got.size() == expected.size());
    for (std::size_t c = 0; c < got.size(); ++c) {
        CHECK(got[c].first == expected[c].first);
        CHECK(got[c].second == expected[c].second);
    }
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

                check_same_chunks(by_us, by_hdf5, chunk_rows, rows);
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
    check_same_chunks(by_us, by_hdf5, chunk, rows);
}

TEST_CASE("EventTable streams events into the chunks HDF5's pipeline stores for the whole table") {
    const std::uint64_t chunk = EventTable::kChunkRows;
    auto rng = make_stream(12, 0, StreamPurpose::price_diffusion);
    test::TempDir dir;
    H5::H5File file((dir / "events.h5").string(), H5F_ACC_TRUNC);
    H5::Group group = file.createGroup("/events");
    H5::CompType packed(H5Tcopy(liquidation_event_type().getId()));
    packed.pack();
    // No rows, a few (one chunk of exactly them), exactly one full chunk,
    // and two full chunks plus a partial one.
    for (const std::uint64_t rows : {std::uint64_t{0}, std::uint64_t{5}, chunk, 2 * chunk + 17}) {
        for (const unsigned level : {0u, 1u}) {
            INFO(rows << " rows, level " << level);
            std::vector<LiquidationEvent> events(rows);
            for (std::uint64_t i = 0; i < rows; ++i) {
                LiquidationEvent& e = events[i];
                e.path = i / 1000;
                e.step = static_cast<std::uint32_t>(i % 720);
                e.account = static_cast<std::uint64_t>(uniform01(rng) * 1e7);
                e.side = i % 2 == 0 ? 1 : -1;
                e.size = uniform01(rng);
                e.trigger_price = 100.0 * uniform01(rng);
                e.fill_price = e.trigger_price * 0.99;
                e.penalty = 0.01 * e.size;
            }
            const std::string tag = std::to_string(rows) + "-" + std::to_string(level);
            {
                EventTable table(group, "ours-" + tag, level, "events.h5");
                // In uneven pieces, as blocks merge, on two threads.
                tbb::task_arena arena(2);
                arena.execute([&] {
                    std::uint64_t first = 0;
                    for (std::uint64_t piece = 1; first < rows; piece = piece * 7 + 3) {
                        const std::uint64_t count = std::min(piece, rows - first);
                        table.append(std::span(events).subspan(first, count));
                        first += count;
                    }
                    table.close();
                });
                CHECK(table.rows() == rows);
            }
            H5::DataSet ours = group.openDataSet("ours-" + tag);
            hsize_t extent = 0;
            ours.getSpace().getSimpleExtentDims(&extent);
            REQUIRE(extent == rows);
            if (rows == 0) {
                continue;
            }
            // The reference: the whole table through HDF5's own pipeline,
            // with the chunk EventTable chose.
            hsize_t chunk_rows = 0;
            ours.getCreatePlist().getChunk(1, &chunk_rows);
            CHECK(chunk_rows == std::min(rows, chunk));
            H5::DSetCreatPropList properties;
            properties.setChunk(1, &chunk_rows);
            if (level > 0) {
                properties.setShuffle();
                properties.setDeflate(static_cast<int>(level));
            }
            const hsize_t dims = rows;
            H5::DataSet by_hdf5 =
                group.createDataSet("hdf5-" + tag, packed, H5::DataSpace(1, &dims), properties);
            by_hdf5.write(events.data(), liquidation_event_type());
            check_same_chunks(ours, by_hdf5, chunk_rows, rows);
            std::vector<LiquidationEvent> back(rows);
            ours.read(back.data(), liquidation_event_type());
            CHECK(std::memcmp(back.data(), events.data(), rows * sizeof(LiquidationEvent)) == 0);
        }
    }
}

}  // namespace cascade
