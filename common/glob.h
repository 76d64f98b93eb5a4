// Glob-style pattern matching with Redis's exact semantics (KEYS, SCAN MATCH, CONFIG GET,
// PSUBSCRIBE): '*', '?', '[abc]', '[^a-z]', '\x' escapes, optional case folding.
#pragma once

#include <string_view>

namespace tessera {

// True if `str` matches `pattern`. Work is polynomial in the input sizes (a failed suffix
// match is never retried from a later star), and star nesting is capped as in Redis.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace tessera
