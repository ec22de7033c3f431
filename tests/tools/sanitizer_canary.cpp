// Proof that the sanitizer job can fail (.ci/sanitizers.sh runs this before
// the suite): each mode commits one error of a kind the job must catch, and
// the script checks that a report for it turns up in the sanitizer logs.
//   sanitizer_canary heap|leak|signed-overflow|float-cast
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: sanitizer_canary heap|leak|signed-overflow|float-cast\n");
        return 2;
    }
    const std::string mode = argv[1];
    // volatile: the compiler must not see through the values and drop the error.
    volatile int index = 8;
    if (mode == "heap") {
        int* a = new int[8];
        std::memset(a, 0, 8 * sizeof(int));
        const int v = a[index];  // AddressSanitizer: heap-buffer-overflow
        delete[] a;
        return v == 12345 ? 3 : 0;
    }
    if (mode == "leak") {
        void* volatile p = std::malloc(4096);  // LeakSanitizer: never freed
        p = nullptr;
        return 0;
    }
    if (mode == "signed-overflow") {
        volatile int big = 2147483647;
        const int v = big + index;  // UBSan: signed integer overflow
        return v == 0 ? 3 : 0;
    }
    if (mode == "float-cast") {
        volatile double huge = 1e300;
        const long long v = static_cast<long long>(huge);  // UBSan: float-cast-overflow (clang)
        return v == 0 ? 3 : 0;
    }
    std::fprintf(stderr, "sanitizer_canary: unknown mode %s\n", mode.c_str());
    return 2;
}
