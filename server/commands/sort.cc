// SORT and SORT_RO: sort the elements of a list, set or sorted set numerically or
// lexicographically, optionally by the values of other keys (BY pattern, with "->field" for
// hash fields), fetching other keys (GET pattern, "#" for the element), with LIMIT, and
// (SORT) STORE into a list.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/commands/pqsort.h"
#include "server/core/context.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/list_value.h"
#include "server/keyspace/set_value.h"
#include "server/keyspace/zset_value.h"

namespace tessera {

namespace {

struct Item {
  std::string value;
  double score = 0;
  std::optional<std::string> by;  // ALPHA with BY: the compared value (missing: sorts first)
};

// Redis's lookupKeyByPattern: "#" is the element itself; otherwise the first "*" is replaced
// by the element and the resulting key's string value (or "key->field" hash field) is read.
std::optional<std::string> LookupByPattern(CommandContext& ctx, std::string_view pattern,
                                           std::string_view element) {
  // The pattern is read as a C string, as Redis does.
  pattern = pattern.substr(0, pattern.find('\0'));
  if (pattern == "#") return std::string(element);
  size_t star = pattern.find('*');
  if (star == std::string_view::npos) return std::nullopt;
  std::string_view field;
  size_t arrow = pattern.find("->", star + 1);
  if (arrow != std::string_view::npos && arrow + 2 < pattern.size()) {
    field = pattern.substr(arrow + 2);
  } else {
    arrow = pattern.size();
  }
  std::string key(pattern.substr(0, star));
  key.append(element);
  key.append(pattern.substr(star + 1, arrow - star - 1));
  KeyValue* kv = ctx.LookupRead(key);
  if (kv == nullptr) return std::nullopt;
  if (!field.empty()) {
    if (kv->type() != ObjType::kHash) return std::nullopt;
    HashValueRef ref;
    if (!hashv::Get(kv, field, &ref)) return std::nullopt;
    return std::string(ref.value);
  }
  if (kv->type() != ObjType::kString) return std::nullopt;
  char buf[24];
  return std::string(StringValue(kv, buf));
}

// strtod over the whole value, as SORT reads numbers.
bool ParseSortScore(const std::string& s, double* out) {
  errno = 0;
  char* end = nullptr;
  *out = strtod(s.c_str(), &end);
  return *end == '\0' && errno != ERANGE && !std::isnan(*out);
}

int Compare(const std::string& a, const std::string& b, bool binary) {
  // Without STORE Redis compares with strcoll (the C locale here), which stops at a NUL.
  if (!binary) return strcmp(a.c_str(), b.c_str());
  int c = memcmp(a.data(), b.data(), std::min(a.size(), b.size()));
  if (c != 0) return c;
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

void SortGeneric(CommandContext& ctx, bool readonly) {
  bool desc = false, alpha = false, dontsort = false;
  int64_t limit_start = 0, limit_count = -1;
  std::string_view by, store;
  bool has_by = false, has_store = false;
  std::vector<std::string_view> gets;
  for (size_t j = 2; j < ctx.argc(); ++j) {
    size_t left = ctx.argc() - j - 1;
    std::string_view o = ctx.argv[j];
    if (EqualsIgnoreCase(o, "asc")) {
      desc = false;
    } else if (EqualsIgnoreCase(o, "desc")) {
      desc = true;
    } else if (EqualsIgnoreCase(o, "alpha")) {
      alpha = true;
    } else if (EqualsIgnoreCase(o, "limit") && left >= 2) {
      auto s = ParseInt64(ctx.argv[j + 1]);
      auto c = s ? ParseInt64(ctx.argv[j + 2]) : std::nullopt;
      if (!s || !c) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      limit_start = *s;
      limit_count = *c;
      j += 2;
    } else if (!readonly && EqualsIgnoreCase(o, "store") && left >= 1) {
      store = ctx.argv[++j];
      has_store = true;
    } else if (EqualsIgnoreCase(o, "by") && left >= 1) {
      by = ctx.argv[++j];
      has_by = true;
      // A pattern without "*" means "do not sort" (SORT list BY nosort).
      dontsort = by.substr(0, by.find('\0')).find('*') == std::string_view::npos;
    } else if (EqualsIgnoreCase(o, "get") && left >= 1) {
      gets.push_back(ctx.argv[++j]);
    } else {
      ctx.Syntax();
      return;
    }
  }
  KeyValue* kv = ctx.LookupRead(ctx.argv[1]);
  if (kv != nullptr && kv->type() != ObjType::kList && kv->type() != ObjType::kSet &&
      kv->type() != ObjType::kZset) {
    ctx.WrongType();
    return;
  }
  // An unsorted set would come out in table order; when stored, it is sorted (as Redis does)
  // so that replicas and the AOF get the same list.
  if (dontsort && kv != nullptr && kv->type() == ObjType::kSet && has_store) {
    dontsort = false;
    alpha = true;
    has_by = false;
  }
  int64_t len = 0;
  if (kv != nullptr) {
    switch (kv->type()) {
      case ObjType::kList: len = static_cast<int64_t>(listv::Q(kv)->size()); break;
      case ObjType::kSet: len = static_cast<int64_t>(setv::Size(kv)); break;
      default: len = static_cast<int64_t>(zsetv::Length(kv)); break;
    }
  }
  int64_t start = limit_start < 0 ? 0 : limit_start;
  int64_t end = limit_count < 0 ? len - 1 : start + limit_count - 1;
  if (start >= len) {
    start = len - 1;
    end = len - 2;
  }
  if (end >= len) end = len - 1;

  std::vector<Item> items;
  char buf[24];
  if (kv != nullptr && dontsort && kv->type() != ObjType::kSet) {
    // Lists and sorted sets keep their own order: load just the range, reversed for DESC.
    if (end >= start) {
      auto n = static_cast<size_t>(end - start + 1);
      items.reserve(n);
      if (kv->type() == ObjType::kList) {
        listv::Q(kv)->Visit(static_cast<size_t>(start), n, desc, [&](std::string_view v) {
          items.push_back({std::string(v)});
          return true;
        });
      } else {
        uint64_t rank = desc ? static_cast<uint64_t>(len - 1 - start) : static_cast<uint64_t>(start);
        ZIter it = zsetv::AtRank(kv, rank);
        for (size_t i = 0; i < n && it.Valid(); ++i) {
          items.push_back({std::string(it.Member(buf))});
          if (desc) it.Prev(); else it.Next();
        }
      }
      end -= start;
      start = 0;
    }
  } else if (kv != nullptr) {
    items.reserve(static_cast<size_t>(len));
    if (kv->type() == ObjType::kList) {
      listv::Q(kv)->Visit(0, static_cast<size_t>(len), false, [&](std::string_view v) {
        items.push_back({std::string(v)});
        return true;
      });
    } else if (kv->type() == ObjType::kSet) {
      setv::ForEach(kv, [&](std::string_view m) { items.push_back({std::string(m)}); });
    } else {
      for (ZIter it = zsetv::AtRank(kv, 0); it.Valid(); it.Next()) {
        items.push_back({std::string(it.Member(buf))});
      }
    }
  }

  if (!dontsort) {
    bool conversion_error = false;
    for (Item& item : items) {
      std::optional<std::string> byval;
      if (has_by) {
        byval = LookupByPattern(ctx, by, item.value);
        if (!byval) continue;  // missing: score 0, or first in ALPHA order
      }
      if (alpha) {
        if (has_by) item.by = std::move(byval);
      } else if (!ParseSortScore(has_by ? *byval : item.value, &item.score)) {
        conversion_error = true;
      }
    }
    if (conversion_error) {
      ctx.reply.Error("ERR One or more scores can't be converted into double");
      return;
    }
    bool binary = has_store;
    auto cmp = [&](const Item& a, const Item& b) -> int {
      int c;
      if (!alpha) {
        if (a.score != b.score) {
          c = a.score > b.score ? 1 : -1;
        } else {
          c = Compare(a.value, b.value, true);  // equal scores: by the elements themselves
        }
      } else if (has_by) {
        if (!a.by || !b.by) {
          c = a.by.has_value() == b.by.has_value() ? 0 : (!a.by ? -1 : 1);
        } else {
          c = Compare(*a.by, *b.by, binary);
        }
      } else {
        c = Compare(a.value, b.value, binary);
      }
      return desc ? -c : c;
    };
    // As Redis: a partial quicksort for BY with a narrower LIMIT, else glibc's qsort, which is
    // a stable merge sort.
    if (has_by && (start != 0 || end != static_cast<int64_t>(items.size()) - 1) && end >= start) {
      PartialQsort(items, static_cast<size_t>(start), static_cast<size_t>(end), cmp);
    } else {
      std::stable_sort(items.begin(), items.end(),
                       [&](const Item& a, const Item& b) { return cmp(a, b) < 0; });
    }
  }

  int64_t span = end - start + 1;
  if (span < 0) span = 0;
  size_t outlen = gets.empty() ? static_cast<size_t>(span) : gets.size() * static_cast<size_t>(span);
  if (!has_store) {
    ctx.reply.ArrayHeader(outlen);
    for (int64_t j = start; j <= end; ++j) {
      const Item& item = items[static_cast<size_t>(j)];
      if (gets.empty()) ctx.reply.Bulk(item.value);
      for (std::string_view g : gets) {
        auto v = LookupByPattern(ctx, g, item.value);
        if (v) {
          ctx.reply.Bulk(*v);
        } else {
          ctx.reply.Null();
        }
      }
    }
    return;
  }
  // STORE: the result replaces the destination as a list (TTL dropped); nothing deletes it.
  std::vector<std::string> out;
  out.reserve(outlen);
  for (int64_t j = start; j <= end; ++j) {
    const Item& item = items[static_cast<size_t>(j)];
    if (gets.empty()) out.push_back(item.value);
    for (std::string_view g : gets) out.push_back(LookupByPattern(ctx, g, item.value).value_or(""));
  }
  bool existed = ctx.LookupWrite(store) != nullptr;
  if (existed) ctx.ks().Delete(ctx.db(), store, ctx.server.config().lazyfree_lazy_server_del);
  if (!out.empty()) {
    const ServerConfig& c = ctx.server.config();
    KeyValue* list = listv::New(store, ListLimits{c.list_max_listpack_size, c.list_compress_depth});
    for (const std::string& v : out) listv::Q(list)->PushBack(v);
    ctx.ks().InitAccess(list, ctx.now_ms);
    if (existed) {
      ctx.db().Add(list);  // replaces the destination: no "new" event, as Redis's setKey
    } else {
      ctx.AddKey(list);
    }
    ctx.Notify(kNotifyList, "sortstore", store);
    ctx.Modified(store);
    ctx.Dirty(out.size());
  } else if (existed) {
    ctx.Notify(kNotifyGeneric, "del", store);
    ctx.Modified(store);
    ctx.Dirty();
  }
  ctx.reply.Integer(static_cast<int64_t>(out.size()));
}

void Sort(CommandContext& ctx) { SortGeneric(ctx, false); }
void SortRo(CommandContext& ctx) { SortGeneric(ctx, true); }

// The sorted key, and the last STORE destination (Redis's sortGetKeys).
void SortKeys(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) {
  keys->push_back(KeyRef{1, kKsRO | kKsAccess});
  int store = 0;
  for (size_t i = 2; i < argv.size(); ++i) {
    if (EqualsIgnoreCase(argv[i], "limit")) {
      i += 2;
    } else if (EqualsIgnoreCase(argv[i], "get") || EqualsIgnoreCase(argv[i], "by")) {
      i += 1;
    } else if (EqualsIgnoreCase(argv[i], "store") && i + 1 < argv.size()) {
      store = static_cast<int>(i + 1);
    }
  }
  if (store != 0) keys->push_back(KeyRef{store, kKsOW | kKsUpdate});
}

void SortRoKeys(std::span<const std::string_view> argv, std::vector<KeyRef>* keys) {
  (void)argv;
  keys->push_back(KeyRef{1, kKsRO | kKsAccess});
}

}  // namespace

void RegisterSortCommands(CommandTable& t) {
  const uint64_t acl = kAclSet | kAclSortedSet | kAclList | kAclDangerous;
  const char* kComplexity =
      "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the "
      "number of returned elements. When the elements are not sorted, complexity is O(N).";
  KeySpec by_get = KeySpec::Unknown(
      kKsRO | kKsAccess,
      "For the optional BY/GET keyword. It is marked 'unknown' because the key names derive "
      "from the content of the key we sort");
  KeySpec store_spec = KeySpec::Unknown(
      kKsOW | kKsUpdate,
      "For the optional STORE keyword. It is marked 'unknown' because the keyword can appear "
      "anywhere in the argument array");
  t.Add({.name = "sort", .handler = Sort, .arity = -2, .flags = kCmdWrite | kCmdDenyOom,
         .acl = acl, .keys = {KeySpec::Range(1, 0, 1, kKsRO | kKsAccess), by_get, store_spec},
         .doc = {"Sorts the elements in a list, a set, or a sorted set, optionally storing the "
                 "result.",
                 "1.0.0", "generic", kComplexity,
                 "key:key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET "
                 "pattern:pattern...] [order=ASC|DESC] [sorting=ALPHA] [STORE "
                 "destination:key]"},
         .get_keys = SortKeys});
  t.Add({.name = "sort_ro", .handler = SortRo, .arity = -2, .flags = kCmdReadonly, .acl = acl,
         .keys = {KeySpec::Range(1, 0, 1, kKsRO | kKsAccess), by_get},
         .doc = {"Returns the sorted elements of a list, a set, or a sorted set.", "7.0.0",
                 "generic", kComplexity,
                 "key:key [BY pattern:pattern] [LIMIT offset:integer count:integer] [GET "
                 "pattern:pattern...] [order=ASC|DESC] [sorting=ALPHA]"},
         .get_keys = SortRoKeys});
}

}  // namespace tessera
