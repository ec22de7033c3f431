#pragma once
// Transparent huge pages for the few large arrays that are used at random:
// the synapse words and their row index (a spike's row starts anywhere) and
// the input ring buffer (a synapse's target is anywhere in its slot). With
// 4 KiB pages nearly every such access misses the TLB once these arrays
// outgrow its reach (about 8 MB); 2 MiB pages cover them. Debian's default
// THP mode is "madvise": only ranges that ask get huge pages.
#include <cstddef>
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

}  // namespace pointsim
