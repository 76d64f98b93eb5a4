#include "server/keyspace/defrag.h"

#include "server/ds/quicklist.h"
#include "server/keyspace/db.h"
#include "server/keyspace/hash_value.h"
#include "server/keyspace/kv.h"
#include "server/keyspace/set_value.h"

namespace tessera {

void* KeyspaceDefragger::Move(void* p, DefragStats* stats) {
  void* fresh = alloc_.copy(p);
  if (fresh != nullptr) {
    alloc_.release(p);
    ++stats->hits;
  } else {
    ++stats->misses;
  }
  return fresh;
}

size_t KeyspaceDefragger::DefragValue(KeyValue* kv, size_t max_scan_fields, DefragStats* stats) {
  Encoding enc = kv->encoding();
  if (enc == Encoding::kInt || enc == Encoding::kEmbstr) return 0;  // inside the key object
  auto move_top = [&]() -> size_t {
    void* fresh = Move(kv->ptr(), stats);
    if (fresh == nullptr) return 0;
    kv->set_ptr(fresh);
    return 1;
  };
  switch (kv->type()) {
    case ObjType::kString:
      return enc == Encoding::kRaw ? move_top() : 0;
    // Dicts and quicklists hold no pointer into themselves, so their top struct moves too.
    case ObjType::kHash: {
      if (enc == Encoding::kListpack) return move_top();
      size_t moved = 0;
      auto* t = static_cast<HashTable*>(kv->ptr());
      if (t->size() <= max_scan_fields) moved = t->Defrag([&](void* p) { return Move(p, stats); });
      return moved + move_top();
    }
    case ObjType::kSet: {
      if (enc != Encoding::kHashtable) return move_top();  // intset or listpack
      size_t moved = 0;
      auto* t = static_cast<SetTable*>(kv->ptr());
      if (t->size() <= max_scan_fields) moved = t->Defrag([&](void* p) { return Move(p, stats); });
      return moved + move_top();
    }
    case ObjType::kZset:
      // Skiplist nodes are linked from several levels and the member dict; only the compact
      // encoding moves.
      return enc == Encoding::kListpack ? move_top() : 0;
    case ObjType::kList: {
      auto* q = static_cast<ds::Quicklist*>(kv->ptr());
      size_t moved = 0;
      if (q->node_count() <= max_scan_fields) {
        struct Ctx {
          KeyspaceDefragger* self;
          DefragStats* stats;
        } ctx{this, stats};
        moved = q->Defrag(
            [](void* c, void* p) {
              auto* x = static_cast<Ctx*>(c);
              return x->self->Move(p, x->stats);
            },
            &ctx);
      }
      return moved + move_top();
    }
    default:
      return 0;  // streams stay where they are
  }
}

KeyValue* KeyspaceDefragger::DefragKey(Db& db, KeyValue* kv, size_t max_scan_fields,
                                       DefragStats* stats) {
  size_t moved = DefragValue(kv, max_scan_fields, stats);
  // The key object last: the tables link it (and the TTL index when it has one), and
  // relinking reads the old object, so it is freed only afterwards.
  if (void* fresh = alloc_.copy(kv)) {
    auto* nk = static_cast<KeyValue*>(fresh);
    db.Relink(kv, nk);
    alloc_.release(kv);
    kv = nk;
    ++moved;
    ++stats->hits;
  } else {
    ++stats->misses;
  }
  if (moved > 0) {
    ++stats->key_hits;
  } else {
    ++stats->key_misses;
  }
  return kv;
}

uint64_t KeyspaceDefragger::Step(Db& db, uint64_t cursor, size_t max_scan_fields,
                                 DefragStats* stats) {
  batch_.clear();
  cursor = db.keys().Scan(cursor, [&](KeyValue* kv) { batch_.push_back(kv); });
  for (KeyValue* kv : batch_) DefragKey(db, kv, max_scan_fields, stats);
  return cursor;
}

}  // namespace tessera
