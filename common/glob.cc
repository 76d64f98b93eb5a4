#include "common/glob.h"

#include <cctype>

namespace tessera {

namespace {

inline int Fold(int c, bool nocase) { return nocase ? tolower(c) : c; }

// Mirrors Redis's stringmatchlen_impl; `skip_longer` short-circuits retries once a suffix
// was shown not to match anywhere in the rest of the string.
bool MatchImpl(const char* p, size_t plen, const char* s, size_t slen, bool nocase,
               bool* skip_longer, int nesting) {
  if (nesting > 1000) {
    return false;
  }
  while (plen && slen) {
    switch (*p) {
      case '*': {
        while (plen > 1 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) {
          return true;
        }
        while (slen) {
          if (MatchImpl(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1)) {
            return true;
          }
          if (*skip_longer) {
            return false;
          }
          ++s;
          --slen;
        }
        *skip_longer = true;
        return false;
      }
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool negate = plen > 0 && *p == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool match = false;
        while (true) {
          if (plen >= 2 && *p == '\\') {
            ++p;
            --plen;
            if (*p == *s) {
              match = true;
            }
          } else if (plen > 0 && *p == ']') {
            break;
          } else if (plen == 0) {
            --p;
            ++plen;
            break;
          } else if (plen >= 3 && p[1] == '-') {
            int start = static_cast<unsigned char>(p[0]);
            int end = static_cast<unsigned char>(p[2]);
            int c = static_cast<unsigned char>(*s);
            if (start > end) {
              int t = start;
              start = end;
              end = t;
            }
            start = Fold(start, nocase);
            end = Fold(end, nocase);
            c = Fold(c, nocase);
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) {
              match = true;
            }
          } else if (Fold(static_cast<unsigned char>(*p), nocase) ==
                     Fold(static_cast<unsigned char>(*s), nocase)) {
            match = true;
          }
          ++p;
          --plen;
        }
        if (negate) {
          match = !match;
        }
        if (!match) {
          return false;
        }
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (Fold(static_cast<unsigned char>(*p), nocase) !=
            Fold(static_cast<unsigned char>(*s), nocase)) {
          return false;
        }
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen && *p == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip_longer = false;
  return MatchImpl(pattern.data(), pattern.size(), str.data(), str.size(), nocase, &skip_longer,
                   0);
}

}  // namespace tessera
