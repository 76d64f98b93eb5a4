// Quicklist: the list encoding — a doubly linked list of listpack nodes, each bounded by
// list-max-listpack-size (negative: 4/8/16/32/64 KB per node; positive: entries per node),
// with nodes deeper than list-compress-depth from either end LZF-compressed (Redis's scheme).
// Elements are addressed by index (negative from the tail) or visited in order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <functional>
#include <string>
#include <string_view>

namespace tessera::ds {

class Quicklist {
 public:
  struct Node {
    Node* prev = nullptr;
    Node* next = nullptr;
    uint8_t* data = nullptr;  // a listpack, or an LZF blob when compressed
    uint32_t sz = 0;          // listpack bytes (uncompressed size)
    uint32_t csz = 0;         // compressed bytes when compressed
    uint32_t count = 0;       // elements
    bool compressed = false;
    bool recompress = false;  // decompressed for access; compress again afterwards
  };

  Quicklist(int fill, int compress_depth);
  ~Quicklist();
  Quicklist(const Quicklist&) = delete;
  Quicklist& operator=(const Quicklist&) = delete;
  Quicklist* Clone() const;

  // Elements of at least this many bytes get a node of their own (Redis's "plain" nodes;
  // DEBUG QUICKLIST-PACKED-THRESHOLD). Returns false for sizes Redis refuses (> 4 GB - 1 MB);
  // 0 restores the default of 1 GB.
  static bool SetPackedThreshold(uint64_t bytes);
  static size_t packed_threshold() { return packed_threshold_; }

  size_t size() const { return count_; }
  size_t node_count() const { return len_; }
  void set_options(int fill, int compress_depth);

  void PushFront(std::string_view v);
  void PushBack(std::string_view v);
  // Removes and returns the first/last element; false when empty.
  bool PopFront(std::string* out);
  bool PopBack(std::string* out);
  // The element at index (negative counts from the end).
  bool Get(int64_t index, std::string* out);
  bool Set(int64_t index, std::string_view v);
  // Inserts v before/after the first element equal to pivot; false if pivot is absent.
  bool InsertAt(std::string_view pivot, std::string_view v, bool after);
  // Removes up to |count| elements equal to v (from the head if count >= 0, else from the tail;
  // 0 removes all). Returns how many were removed.
  size_t Remove(std::string_view v, int64_t count);
  // Removes `n` elements starting at index start (>= 0).
  void DeleteRange(size_t start, size_t n);
  // Calls fn(value) for elements start..start+n-1 (in reverse from the end when reverse,
  // where start counts from the tail). Stops early when fn returns false.
  void Visit(size_t start, size_t n, bool reverse,
             const std::function<bool(std::string_view)>& fn);

  // Bytes held (nodes and their buffers), for MEMORY USAGE and freeing decisions.
  // Active defragmentation: mv(ctx, p) returns a new address for allocation p (copied, p
  // freed) or nullptr. Applied to every node and its data; returns how many moved.
  size_t Defrag(void* (*mv)(void* ctx, void* p), void* ctx);
  // Bytes held (samples > 0: extrapolated from the first `samples` nodes).
  size_t Bytes(size_t samples = 0) const;
  // For tests and RDB: the first node.
  Node* head() const { return head_; }
  bool Verify(std::string* why) const;

 private:
  bool AllowInsert(const Node* n, size_t sz) const;
  Node* NewNode();
  void FreeNode(Node* n);
  void LinkAfter(Node* at, Node* n);   // at == nullptr: new head
  void Unlink(Node* n);
  void Decompress(Node* n) const;
  void CompressNode(Node* n) const;
  void CompressAround(Node* n) const;  // __quicklistCompress
  // Locates index: the node and the offset inside it.
  Node* Locate(int64_t index, size_t* offset) const;
  // Inserts v at offset (0..count) of node n, splitting it when full.
  void InsertInNode(Node* n, size_t offset, std::string_view v);
  void DeleteInNode(Node* n, size_t offset, size_t k);

  static inline size_t packed_threshold_ = size_t{1} << 30;

  Node* head_ = nullptr;
  Node* tail_ = nullptr;
  size_t count_ = 0;
  size_t len_ = 0;
  int fill_;
  int compress_;
};

}  // namespace tessera::ds
