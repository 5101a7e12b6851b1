#pragma once
// A large, uninitialised array backed by transparent huge pages where the
// kernel offers them (madvise mode). Per-run buffers of hundreds of MiB
// otherwise cost one page fault per 4 KiB on first touch, which on virtual
// machines took longer than simulating the paths that fill them.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace cascade {

template <class T>
class HugeBuffer {
  public:
    explicit HugeBuffer(std::size_t count) : count_(count) {
        constexpr std::size_t kHugePage = std::size_t{2} << 20;
        const std::size_t bytes = (count * sizeof(T) + kHugePage - 1) / kHugePage * kHugePage;
        if (bytes == 0) {
            return;
        }
        void* memory = std::aligned_alloc(kHugePage, bytes);
        if (memory == nullptr) {
            throw std::bad_alloc();
        }
        ::madvise(memory, bytes, MADV_HUGEPAGE);  // a hint: failure only costs speed
        data_.reset(static_cast<T*>(memory));
    }

    T* data() { return data_.get(); }
    const T* data() const { return data_.get(); }
    std::size_t size() const { return count_; }

  private:
    struct Free {
        void operator()(T* p) const { std::free(p); }
    };
    std::unique_ptr<T, Free> data_;
    std::size_t count_;
};

}  // namespace cascade
