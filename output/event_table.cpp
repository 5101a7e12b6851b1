#include "output/event_table.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <utility>

namespace cascade {

EventTable::EventTable(const H5::Group& group, std::string name, unsigned compression,
                       std::string file)
    : group_(group),
      name_(std::move(name)),
      compression_(compression),
      file_(std::move(file)),
      // A distinct type: the copy constructor would share the id.
      file_type_(H5Tcopy(liquidation_event_type().getId())) {
    // Packed in the file: no padding bytes, whose content would be arbitrary.
    file_type_.pack();
    const H5::CompType memory_type = liquidation_event_type();
    for (int i = 0; i < memory_type.getNmembers(); ++i) {
        const auto index = static_cast<unsigned>(i);
        members_.push_back({memory_type.getMemberOffset(index), file_type_.getMemberOffset(index),
                            memory_type.getMemberDataType(index).getSize()});
    }
    row_bytes_ = file_type_.getSize();
    pending_.resize(chunk_rows_ * row_bytes_);
}

EventTable::~EventTable() noexcept {
    if (!closed_) {
        try {
            tasks_.cancel();
            tasks_.wait();
        } catch (...) {
            // Destroyed unclosed: the file is being abandoned.
        }
    }
}

void EventTable::append(std::span<const LiquidationEvent> events) {
    for (const LiquidationEvent& event : events) {
        const auto* from = reinterpret_cast<const unsigned char*>(&event);
        unsigned char* to = pending_.data() + pending_rows_ * row_bytes_;
        for (const Member& m : members_) {
            std::memcpy(to + m.to, from + m.from, m.size);
        }
        ++rows_;
        if (++pending_rows_ == chunk_rows_) {
            start_chunk_task();
        }
    }
}

void EventTable::create(std::uint64_t rows, bool extendible) {
    const hsize_t dims = rows;
    const hsize_t most = extendible ? H5S_UNLIMITED : rows;
    H5::DSetCreatPropList properties;
    if (extendible || rows > 0) {
        const hsize_t chunk = extendible ? chunk_rows_ : std::min(chunk_rows_, rows);
        properties.setChunk(1, &chunk);
        if (compression_ > 0) {
            properties.setShuffle();
            properties.setDeflate(static_cast<int>(compression_));
        }
    }
    const std::lock_guard<std::mutex> lock(mutex_);
    try {
        set_ = group_.createDataSet(name_, file_type_, H5::DataSpace(1, &dims, &most), properties);
        filters_ = rows > 0 || extendible ? chunk_filters(set_.getCreatePlist()) : std::nullopt;
    } catch (const H5::Exception& e) {
        throw write_error(file_, e);
    }
}

void EventTable::start_chunk_task() {
    if (started_chunks_ == 0) {
        create(0, true);
    }
    const std::uint64_t index = started_chunks_++;
    std::vector<unsigned char> rows(chunk_rows_ * row_bytes_);
    pending_.swap(rows);
    pending_rows_ = 0;
    tasks_.run([this, index, rows = std::move(rows)] {
        store_in_order(index, filtered_chunk(rows, row_bytes_, *filters_));
    });
}

void EventTable::store_in_order(std::uint64_t index, std::vector<unsigned char> chunk) {
    const std::lock_guard<std::mutex> lock(mutex_);
    // HDF5 keeps its error printing per thread; this may be a new one.
    H5::Exception::dontPrint();
    ready_.emplace(index, std::move(chunk));
    try {
        while (!ready_.empty() && ready_.begin()->first == stored_chunks_) {
            const std::array<hsize_t, 1> offset = {stored_chunks_ * chunk_rows_};
            const hsize_t extent = offset[0] + chunk_rows_;
            set_.extend(&extent);
            store_chunk(set_, offset, ready_.begin()->second);
            ready_.erase(ready_.begin());
            ++stored_chunks_;
        }
    } catch (const H5::Exception& e) {
        throw write_error(file_, e);
    }
}

void EventTable::close() {
    if (closed_) {
        return;
    }
    closed_ = true;
    tasks_.wait();
    try {
        if (started_chunks_ == 0) {
            // Never a full chunk: one chunk of exactly these rows.
            create(pending_rows_, false);
            if (pending_rows_ > 0) {
                const std::array<hsize_t, 1> offset = {0};
                store_chunk(set_, offset,
                            filtered_chunk(std::span(pending_).first(pending_rows_ * row_bytes_),
                                           row_bytes_, *filters_));
            }
        } else if (pending_rows_ > 0) {
            // The last chunk, padded with zeros (the fill value) as HDF5 stores it.
            std::fill(pending_.begin() + static_cast<std::ptrdiff_t>(pending_rows_ * row_bytes_),
                      pending_.end(), 0);
            const std::array<hsize_t, 1> offset = {stored_chunks_ * chunk_rows_};
            const hsize_t extent = rows_;
            set_.extend(&extent);
            store_chunk(set_, offset, filtered_chunk(pending_, row_bytes_, *filters_));
            ++stored_chunks_;
        }
    } catch (const H5::Exception& e) {
        throw write_error(file_, e);
    }
    pending_ = {};
}

}  // namespace cascade
