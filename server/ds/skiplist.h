// The ordered index of large sorted sets: Redis's skiplist with spans (rank in O(log N)),
// ordered by (score, member). Each node is one allocation holding its levels and the member
// bytes, plus a chain pointer so the same node is the entry of the member -> score table.
#pragma once

#include <cstdint>
#include <string_view>

namespace tessera::ds {

class Rng;

struct ZNode {
  ZNode* hnext;     // chain pointer in the member table
  double score;
  ZNode* backward;
  uint32_t len;
  uint8_t level;    // number of levels
  struct Level {
    ZNode* forward;
    uint64_t span;
  };
  // Level levels[level]; then the member bytes.
  Level* levels() { return reinterpret_cast<Level*>(this + 1); }
  const Level* levels() const { return reinterpret_cast<const Level*>(this + 1); }
  std::string_view member() const {
    return {reinterpret_cast<const char*>(levels() + level), len};
  }
};

// A score range with open/closed ends (ZRANGEBYSCORE "(1" "+inf").
struct ScoreRange {
  double min, max;
  bool minex = false, maxex = false;
  bool GteMin(double v) const { return minex ? v > min : v >= min; }
  bool LteMax(double v) const { return maxex ? v < max : v <= max; }
  bool Empty() const { return min > max || (min == max && (minex || maxex)); }
};

// A lexicographic range ("[a", "(b", "-", "+").
struct LexRange {
  std::string_view min, max;
  bool minex = false, maxex = false;
  bool min_inf = false;  // "-"
  bool max_inf = false;  // "+"
  bool min_minus_inf = false;  // min is "+" (nothing is >= +)
  bool max_plus_inf = false;   // max is "-" (nothing is <= -)
  bool GteMin(std::string_view v) const;
  bool LteMax(std::string_view v) const;
  bool Empty() const;
};

class Skiplist {
 public:
  static constexpr int kMaxLevel = 32;
  Skiplist();
  ~Skiplist();
  Skiplist(const Skiplist&) = delete;
  Skiplist& operator=(const Skiplist&) = delete;

  uint64_t length() const { return length_; }
  ZNode* first() const { return header_->levels()[0].forward; }
  ZNode* last() const { return tail_; }

  // Inserts a new node (the member must not be present). Returns it.
  ZNode* Insert(double score, std::string_view member, Rng& rng);
  // Unlinks the node with (score, member) and returns it (the caller frees it), or nullptr.
  ZNode* Unlink(double score, std::string_view member);
  // Changes a node's score, moving it if the order changes; may reallocate nothing (the node
  // is reused). Returns the node.
  ZNode* UpdateScore(ZNode* node, double new_score);
  // 1-based rank of (score, member), 0 if absent.
  uint64_t Rank(double score, std::string_view member) const;
  // The node at 1-based rank, or nullptr.
  ZNode* ByRank(uint64_t rank) const;
  // First / last node inside the range, or nullptr.
  ZNode* FirstInRange(const ScoreRange& r) const;
  ZNode* LastInRange(const ScoreRange& r) const;
  ZNode* FirstInLex(const LexRange& r) const;
  ZNode* LastInLex(const LexRange& r) const;

  static void FreeNode(ZNode* n);

 private:
  static ZNode* NewNode(int level, double score, std::string_view member);
  void UnlinkNode(ZNode* x, ZNode** update);

  ZNode* header_;
  ZNode* tail_ = nullptr;
  uint64_t length_ = 0;
  int level_ = 1;
};

// Orders (score, member) as sorted sets do.
inline bool ZLess(double s1, std::string_view m1, double s2, std::string_view m2) {
  return s1 < s2 || (s1 == s2 && m1 < m2);
}

}  // namespace tessera::ds
