#pragma once
// Transparent huge pages for the few large arrays that are used at random:
// the synapse words and their row index (a spike's row starts anywhere) and
// the input ring buffer (a synapse's target is anywhere in its slot). With
// 4 KiB pages nearly every such access misses the TLB once these arrays
// outgrow its reach (about 8 MB); 2 MiB pages cover them. Debian's default
// THP mode is "madvise": only ranges that ask get huge pages.
#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace pointsim {

// Asks the kernel to back the 2 MiB-aligned pages inside [p, p + bytes) with
// huge pages from their first touch on. Only advice: a no-op where the
// system has no transparent huge pages, and for ranges under 4 MiB (no
// aligned page to gain). Results never depend on it.
void advise_huge_pages(void* p, std::size_t bytes);

// v.assign(n, value), with the new memory advised before it is first touched
// (advice given after the zero-fill would leave the 4 KiB pages in place).
template <class T>
void assign_on_huge_pages(std::vector<T>& v, std::size_t n, const T& value) {
    if (v.capacity() < n) {
        std::vector<T>().swap(v);
        v.reserve(n);
        advise_huge_pages(v.data(), n * sizeof(T));
    }
    v.assign(n, value);
}

// std::allocator, except that construction without a value default-
// initialises: vector::resize(n) of a trivial T then writes nothing, and a
// new page is first touched (and zeroed by the kernel) by whichever thread
// first writes into it, not by one thread's fill of the whole array. For
// arrays whose every element is written before it is read.
template <class T>
struct DefaultInitAllocator : std::allocator<T> {
    using value_type = T;
    template <class U>
    struct rebind {
        using other = DefaultInitAllocator<U>;
    };
    DefaultInitAllocator() = default;
    template <class U>
    DefaultInitAllocator(const DefaultInitAllocator<U>&) noexcept {}
    template <class U>
    void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
        ::new (static_cast<void*>(p)) U;
    }
    template <class U, class... Args>
    void construct(U* p, Args&&... args) {
        ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
    }
};

template <class T>
using UnfilledVector = std::vector<T, DefaultInitAllocator<T>>;

// v.resize(n) with the new elements left unwritten (their values are
// indeterminate until written), the new memory advised as in assign_on_huge_pages.
template <class T>
void resize_unfilled_on_huge_pages(UnfilledVector<T>& v, std::size_t n) {
    static_assert(std::is_trivially_default_constructible_v<T>);
    if (v.capacity() < n) {
        UnfilledVector<T> bigger;
        bigger.reserve(n);
        advise_huge_pages(bigger.data(), n * sizeof(T));
        bigger.insert(bigger.end(), v.begin(), v.end());
        v.swap(bigger);
    }
    v.resize(n);
}

}  // namespace pointsim
