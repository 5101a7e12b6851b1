#pragma once
// Large allocations backed by transparent huge pages where the kernel offers
// them (madvise mode): HugeBuffer, a fixed uninitialised array, and
// HugePageAllocator, for vectors that grow large. Per-run buffers of hundreds
// of MiB otherwise cost one page fault per 4 KiB on first touch, which on
// virtual machines took longer than simulating the paths that fill them.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>

namespace cascade {

inline constexpr std::size_t kHugePage = std::size_t{2} << 20;

// `bytes` rounded up to whole huge pages, aligned to one and marked for huge
// pages; free with std::free. Throws std::bad_alloc.
inline void* allocate_huge_pages(std::size_t bytes) {
    const std::size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    void* memory = std::aligned_alloc(kHugePage, rounded);
    if (memory == nullptr) {
        throw std::bad_alloc();
    }
    ::madvise(memory, rounded, MADV_HUGEPAGE);  // a hint: failure only costs speed
    return memory;
}

template <class T>
class HugeBuffer {
  public:
    explicit HugeBuffer(std::size_t count) : count_(count) {
        if (count > 0) {
            data_.reset(static_cast<T*>(allocate_huge_pages(count * sizeof(T))));
        }
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

// A std::allocator that takes allocations of a huge page or more from
// allocate_huge_pages and smaller ones from malloc: a vector that grows into
// tens of MiB then faults a page per 2 MiB, not per 4 KiB.
template <class T>
struct HugePageAllocator {
    using value_type = T;

    HugePageAllocator() = default;
    // Implicit, as an allocator's rebinding copy is.
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>& /*other*/) {}

    T* allocate(std::size_t count) {
        const std::size_t bytes = count * sizeof(T);
        if (bytes >= kHugePage) {
            return static_cast<T*>(allocate_huge_pages(bytes));
        }
        void* memory = std::malloc(bytes);
        if (memory == nullptr) {
            throw std::bad_alloc();
        }
        return static_cast<T*>(memory);
    }
    void deallocate(T* memory, std::size_t /*count*/) { std::free(memory); }

    template <class U>
    bool operator==(const HugePageAllocator<U>& /*other*/) const {
        return true;
    }
};

}  // namespace cascade
