#include "server/ds/skiplist.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "server/ds/dict.h"

namespace tessera::ds {

bool LexRange::GteMin(std::string_view v) const {
  if (min_inf) return true;
  if (min_minus_inf) return false;
  return minex ? v > min : v >= min;
}

bool LexRange::LteMax(std::string_view v) const {
  if (max_inf) return true;
  if (max_plus_inf) return false;
  return maxex ? v < max : v <= max;
}

bool LexRange::Empty() const {
  if (min_minus_inf || max_plus_inf) return true;
  if (min_inf || max_inf) return false;
  int c = min.compare(max);
  return c > 0 || (c == 0 && (minex || maxex));
}

ZNode* Skiplist::NewNode(int level, double score, std::string_view member) {
  size_t size = sizeof(ZNode) + static_cast<size_t>(level) * sizeof(ZNode::Level) + member.size();
  auto* n = static_cast<ZNode*>(::malloc(size));
  if (n == nullptr) throw std::bad_alloc();
  n->hnext = nullptr;
  n->score = score;
  n->backward = nullptr;
  n->len = static_cast<uint32_t>(member.size());
  n->level = static_cast<uint8_t>(level);
  for (int i = 0; i < level; ++i) {
    n->levels()[i].forward = nullptr;
    n->levels()[i].span = 0;
  }
  if (!member.empty()) {
    memcpy(reinterpret_cast<char*>(n->levels() + level), member.data(), member.size());
  }
  return n;
}

void Skiplist::FreeNode(ZNode* n) { ::free(n); }

Skiplist::Skiplist() { header_ = NewNode(kMaxLevel, 0, {}); }

Skiplist::~Skiplist() {
  ZNode* x = header_->levels()[0].forward;
  while (x != nullptr) {
    ZNode* next = x->levels()[0].forward;
    FreeNode(x);
    x = next;
  }
  FreeNode(header_);
}

ZNode* Skiplist::Insert(double score, std::string_view member, Rng& rng) {
  ZNode* update[kMaxLevel];
  uint64_t rank[kMaxLevel];
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (x->levels()[i].forward != nullptr &&
           ZLess(x->levels()[i].forward->score, x->levels()[i].forward->member(), score, member)) {
      rank[i] += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
  // Random level with p = 1/4, as Redis.
  int level = 1;
  while (level < kMaxLevel && (rng.Next() & 0xFFFF) < 0xFFFF / 4) ++level;
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      update[i] = header_;
      update[i]->levels()[i].span = length_;
    }
    level_ = level;
  }
  x = NewNode(level, score, member);
  for (int i = 0; i < level; ++i) {
    x->levels()[i].forward = update[i]->levels()[i].forward;
    update[i]->levels()[i].forward = x;
    x->levels()[i].span = update[i]->levels()[i].span - (rank[0] - rank[i]);
    update[i]->levels()[i].span = (rank[0] - rank[i]) + 1;
  }
  for (int i = level; i < level_; ++i) ++update[i]->levels()[i].span;
  x->backward = update[0] == header_ ? nullptr : update[0];
  if (x->levels()[0].forward != nullptr) {
    x->levels()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
  return x;
}

void Skiplist::UnlinkNode(ZNode* x, ZNode** update) {
  for (int i = 0; i < level_; ++i) {
    if (update[i]->levels()[i].forward == x) {
      update[i]->levels()[i].span += x->levels()[i].span - 1;
      update[i]->levels()[i].forward = x->levels()[i].forward;
    } else {
      update[i]->levels()[i].span -= 1;
    }
  }
  if (x->levels()[0].forward != nullptr) {
    x->levels()[0].forward->backward = x->backward;
  } else {
    tail_ = x->backward;
  }
  while (level_ > 1 && header_->levels()[level_ - 1].forward == nullptr) --level_;
  --length_;
}

ZNode* Skiplist::Unlink(double score, std::string_view member) {
  ZNode* update[kMaxLevel];
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr &&
           ZLess(x->levels()[i].forward->score, x->levels()[i].forward->member(), score, member)) {
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
  x = x->levels()[0].forward;
  if (x != nullptr && x->score == score && x->member() == member) {
    UnlinkNode(x, update);
    return x;
  }
  return nullptr;
}

ZNode* Skiplist::UpdateScore(ZNode* node, double new_score) {
  ZNode* update[kMaxLevel];
  ZNode* x = header_;
  double score = node->score;
  std::string_view member = node->member();
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr &&
           ZLess(x->levels()[i].forward->score, x->levels()[i].forward->member(), score, member)) {
      x = x->levels()[i].forward;
    }
    update[i] = x;
  }
  x = x->levels()[0].forward;
  // If the node stays between its neighbours, only the score changes.
  if ((x->backward == nullptr || x->backward->score < new_score ||
       (x->backward->score == new_score && x->backward->member() < member)) &&
      (x->levels()[0].forward == nullptr || x->levels()[0].forward->score > new_score ||
       (x->levels()[0].forward->score == new_score && x->levels()[0].forward->member() > member))) {
    x->score = new_score;
    return x;
  }
  // Otherwise unlink and relink the same node at its new place.
  UnlinkNode(x, update);
  ZNode* upd[kMaxLevel];
  uint64_t rank[kMaxLevel];
  ZNode* y = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    rank[i] = i == level_ - 1 ? 0 : rank[i + 1];
    while (y->levels()[i].forward != nullptr &&
           ZLess(y->levels()[i].forward->score, y->levels()[i].forward->member(), new_score,
                 member)) {
      rank[i] += y->levels()[i].span;
      y = y->levels()[i].forward;
    }
    upd[i] = y;
  }
  int level = x->level;
  if (level > level_) {
    for (int i = level_; i < level; ++i) {
      rank[i] = 0;
      upd[i] = header_;
      upd[i]->levels()[i].span = length_;
    }
    level_ = level;
  }
  x->score = new_score;
  for (int i = 0; i < level; ++i) {
    x->levels()[i].forward = upd[i]->levels()[i].forward;
    upd[i]->levels()[i].forward = x;
    x->levels()[i].span = upd[i]->levels()[i].span - (rank[0] - rank[i]);
    upd[i]->levels()[i].span = (rank[0] - rank[i]) + 1;
  }
  for (int i = level; i < level_; ++i) ++upd[i]->levels()[i].span;
  x->backward = upd[0] == header_ ? nullptr : upd[0];
  if (x->levels()[0].forward != nullptr) {
    x->levels()[0].forward->backward = x;
  } else {
    tail_ = x;
  }
  ++length_;
  return x;
}

uint64_t Skiplist::Rank(double score, std::string_view member) const {
  uint64_t rank = 0;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr &&
           !ZLess(score, member, x->levels()[i].forward->score,
                  x->levels()[i].forward->member())) {
      rank += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    if (x != header_ && x->score == score && x->member() == member) return rank;
  }
  return 0;
}

ZNode* Skiplist::ByRank(uint64_t rank) const {
  uint64_t traversed = 0;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && traversed + x->levels()[i].span <= rank) {
      traversed += x->levels()[i].span;
      x = x->levels()[i].forward;
    }
    if (traversed == rank) return x == header_ ? nullptr : x;
  }
  return nullptr;
}

ZNode* Skiplist::FirstInRange(const ScoreRange& r) const {
  if (r.Empty() || tail_ == nullptr || !r.GteMin(tail_->score)) return nullptr;
  ZNode* first = header_->levels()[0].forward;
  if (first == nullptr || !r.LteMax(first->score)) return nullptr;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && !r.GteMin(x->levels()[i].forward->score)) {
      x = x->levels()[i].forward;
    }
  }
  x = x->levels()[0].forward;
  return x != nullptr && r.LteMax(x->score) ? x : nullptr;
}

ZNode* Skiplist::LastInRange(const ScoreRange& r) const {
  if (r.Empty() || tail_ == nullptr || !r.GteMin(tail_->score)) return nullptr;
  ZNode* first = header_->levels()[0].forward;
  if (first == nullptr || !r.LteMax(first->score)) return nullptr;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && r.LteMax(x->levels()[i].forward->score)) {
      x = x->levels()[i].forward;
    }
  }
  return x != header_ && r.GteMin(x->score) ? x : nullptr;
}

ZNode* Skiplist::FirstInLex(const LexRange& r) const {
  if (r.Empty() || tail_ == nullptr || !r.GteMin(tail_->member())) return nullptr;
  ZNode* first = header_->levels()[0].forward;
  if (first == nullptr || !r.LteMax(first->member())) return nullptr;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && !r.GteMin(x->levels()[i].forward->member())) {
      x = x->levels()[i].forward;
    }
  }
  x = x->levels()[0].forward;
  return x != nullptr && r.LteMax(x->member()) ? x : nullptr;
}

ZNode* Skiplist::LastInLex(const LexRange& r) const {
  if (r.Empty() || tail_ == nullptr || !r.GteMin(tail_->member())) return nullptr;
  ZNode* first = header_->levels()[0].forward;
  if (first == nullptr || !r.LteMax(first->member())) return nullptr;
  ZNode* x = header_;
  for (int i = level_ - 1; i >= 0; --i) {
    while (x->levels()[i].forward != nullptr && r.LteMax(x->levels()[i].forward->member())) {
      x = x->levels()[i].forward;
    }
  }
  return x != header_ && r.GteMin(x->member()) ? x : nullptr;
}

}  // namespace tessera::ds
