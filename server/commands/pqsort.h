// The partial quicksort Redis uses for SORT ... BY ... LIMIT and for GEO searches with COUNT:
// a Bentley-McIlroy quicksort that only recurses into partitions overlapping the wanted range
// [lrange, rrange]. It is not stable; following the same steps keeps the order of equal
// elements the same as Redis's.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>
#include <vector>

namespace tessera {

namespace pqsort_detail {

template <typename T, typename Cmp>
long Med3(std::vector<T>& v, long a, long b, long c, Cmp& cmp) {
  return cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : (cmp(v[a], v[c]) < 0 ? c : a))
                             : (cmp(v[b], v[c]) > 0 ? b : (cmp(v[a], v[c]) < 0 ? a : c));
}

template <typename T>
void VecSwap(std::vector<T>& v, long a, long b, long n) {
  for (long i = 0; i < n; ++i) std::swap(v[a + i], v[b + i]);
}

template <typename T, typename Cmp>
void Sort(std::vector<T>& v, long a, long n, long lrange, long rrange, Cmp& cmp) {
  for (;;) {
    if (n < 7) {
      for (long pm = a + 1; pm < a + n; ++pm) {
        for (long pl = pm; pl > a && cmp(v[pl - 1], v[pl]) > 0; --pl) std::swap(v[pl], v[pl - 1]);
      }
      return;
    }
    long pm = a + n / 2;
    if (n > 7) {
      long pl = a;
      long pn = a + n - 1;
      if (n > 40) {
        long d = n / 8;
        pl = Med3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = Med3(v, pm - d, pm, pm + d, cmp);
        pn = Med3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = Med3(v, pl, pm, pn, cmp);
    }
    std::swap(v[a], v[pm]);
    long pa = a + 1, pb = a + 1;
    long pc = a + n - 1, pd = a + n - 1;
    for (;;) {
      int r;
      while (pb <= pc && (r = cmp(v[pb], v[a])) <= 0) {
        if (r == 0) std::swap(v[pa++], v[pb]);
        ++pb;
      }
      while (pb <= pc && (r = cmp(v[pc], v[a])) >= 0) {
        if (r == 0) std::swap(v[pc], v[pd--]);
        --pc;
      }
      if (pb > pc) break;
      std::swap(v[pb++], v[pc--]);
    }
    long pn = a + n;
    long r = std::min(pa - a, pb - pa);
    VecSwap(v, a, pb - r, r);
    r = std::min(pd - pc, pn - pd - 1);
    VecSwap(v, pb, pn - r, r);
    auto outside = [&](long first, long count) {
      long last = first + count - 1;
      return (lrange < first && rrange < first) || (lrange > last && rrange > last);
    };
    if ((r = pb - pa) > 1 && !outside(a, r)) Sort(v, a, r, lrange, rrange, cmp);
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      if (!outside(a, n)) continue;
    }
    return;
  }
}

}  // namespace pqsort_detail

// Sorts v so that positions lrange..rrange hold what a full sort would put there. cmp(a, b)
// returns <0, 0 or >0.
template <typename T, typename Cmp>
void PartialQsort(std::vector<T>& v, size_t lrange, size_t rrange, Cmp cmp) {
  pqsort_detail::Sort(v, 0, static_cast<long>(v.size()), static_cast<long>(lrange),
                      static_cast<long>(rrange), cmp);
}

}  // namespace tessera
