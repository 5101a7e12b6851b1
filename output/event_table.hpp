#pragma once
// /events/liquidations, written while the run produces it. The sample paths'
// events arrive in path order as blocks merge; they are packed into the
// file's row layout as they come, and every full chunk is shuffled,
// deflated and stored by a task on the run's threads while the simulation
// goes on. The chunks are stored in order, and each holds the bytes HDF5's
// own filter pipeline would store for the same rows (test_chunk_writer.cpp).
//
// A table that never fills a chunk is written at close() as one chunk of
// exactly its rows, a fixed-size dataset; one that does grows chunk by
// chunk, so its dataset is extendible (maxshape None to h5py).

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <H5Cpp.h>
#include <tbb/task_group.h>

#include "output/hdf5_support.hpp"
#include "sim/run.hpp"

namespace cascade {

class EventTable final : public EventSink {
  public:
    // Rows a chunk holds: about 1 MiB of events in memory.
    static constexpr std::uint64_t kChunkRows = (std::uint64_t{1} << 20) / sizeof(LiquidationEvent);

    // The table `name` in `group`, deflated at `compression` (0: stored as
    // is). `file` names the results file in errors.
    EventTable(const H5::Group& group, std::string name, unsigned compression, std::string file);
    // Waits for any chunk still being stored (after which the task group's
    // destructor cannot throw).
    ~EventTable() noexcept override;
    EventTable(const EventTable&) = delete;
    EventTable& operator=(const EventTable&) = delete;

    void append(std::span<const LiquidationEvent> events) override;
    // Waits for the chunks in flight, stores the last, partial one and sets
    // the final extent. Rethrows the first failure of a task. Idempotent.
    void close() override;

    // After close(): the dataset, to describe.
    H5::DataSet& dataset() { return set_; }
    std::uint64_t rows() const { return rows_; }

  private:
    struct Member {
        std::size_t from;  // offset in LiquidationEvent
        std::size_t to;    // offset in the packed row
        std::size_t size;
    };

    void create(std::uint64_t rows, bool extendible);
    void start_chunk_task();
    // Stores chunk `index` once every chunk before it is stored.
    void store_in_order(std::uint64_t index, std::vector<unsigned char> chunk);

    H5::Group group_;
    std::string name_;
    unsigned compression_;
    std::string file_;
    H5::CompType file_type_;  // LiquidationEvent, packed
    std::vector<Member> members_;
    std::size_t row_bytes_ = 0;  // packed
    std::uint64_t chunk_rows_ = kChunkRows;
    std::uint64_t rows_ = 0;  // appended

    // Rows not yet handed to a task, packed.
    std::vector<unsigned char> pending_;
    std::uint64_t pending_rows_ = 0;
    std::uint64_t started_chunks_ = 0;  // handed to tasks

    // Shared with the tasks, under `mutex_`: the dataset and the chunks
    // filtered ahead of their turn.
    std::mutex mutex_;
    H5::DataSet set_;
    std::optional<ChunkFilters> filters_;
    std::map<std::uint64_t, std::vector<unsigned char>> ready_;
    std::uint64_t stored_chunks_ = 0;

    // Isolated: a failing run's cancellation does not silently drop chunks,
    // and close() reports what failed.
    tbb::task_group_context context_{tbb::task_group_context::isolated};
    tbb::task_group tasks_{context_};
    bool closed_ = false;
};

}  // namespace cascade
