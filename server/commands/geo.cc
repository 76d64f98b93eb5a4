// Geospatial commands on sorted sets: GEOADD GEODIST GEOHASH GEOPOS GEORADIUS
// GEORADIUSBYMEMBER (and their _RO forms) GEOSEARCH GEOSEARCHSTORE.
//
// A member's score is its 52-bit interleaved geohash (26 steps of longitude and latitude over
// Redis's WGS84 ranges), and a search visits the same nine geohash boxes that Redis visits, in
// the same order, so results (and their order when unsorted) match Redis's.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "server/commands/families.h"
#include "server/commands/helpers.h"
#include "server/commands/pqsort.h"
#include "server/commands/zset_ops.h"
#include "server/core/context.h"
#include "server/keyspace/zset_value.h"

namespace tessera {

namespace {

// ---- geohash (as Redis's geohash.c / geohash_helper.c) ----

constexpr int kStepMax = 26;
constexpr double kLatMin = -85.05112878;
constexpr double kLatMax = 85.05112878;
constexpr double kLongMin = -180;
constexpr double kLongMax = 180;
constexpr double kEarthRadius = 6372797.560856;
constexpr double kMercatorMax = 20037726.37;
constexpr double kDegToRad = M_PI / 180.0;

struct HashBits {
  uint64_t bits = 0;
  uint8_t step = 0;
  bool Zero() const { return bits == 0 && step == 0; }
};

struct Range {
  double min, max;
};

struct Area {
  Range lon, lat;
};

inline double DegRad(double d) { return d * kDegToRad; }
inline double RadDeg(double r) { return r / kDegToRad; }

uint64_t Interleave(uint32_t xlo, uint32_t ylo) {
  static const uint64_t kB[] = {0x5555555555555555ULL, 0x3333333333333333ULL,
                                0x0F0F0F0F0F0F0F0FULL, 0x00FF00FF00FF00FFULL,
                                0x0000FFFF0000FFFFULL};
  static const unsigned kS[] = {1, 2, 4, 8, 16};
  uint64_t x = xlo, y = ylo;
  for (int i = 4; i >= 0; --i) {
    x = (x | (x << kS[i])) & kB[i];
    y = (y | (y << kS[i])) & kB[i];
  }
  return x | (y << 1);
}

// Inverse of Interleave: the even bits in the low half, the odd bits in the high half.
uint64_t Deinterleave(uint64_t interleaved) {
  static const uint64_t kB[] = {0x5555555555555555ULL, 0x3333333333333333ULL,
                                0x0F0F0F0F0F0F0F0FULL, 0x00FF00FF00FF00FFULL,
                                0x0000FFFF0000FFFFULL, 0x00000000FFFFFFFFULL};
  static const unsigned kS[] = {0, 1, 2, 4, 8, 16};
  uint64_t x = interleaved, y = interleaved >> 1;
  for (int i = 0; i < 6; ++i) {
    x = (x | (x >> kS[i])) & kB[i];
    y = (y | (y >> kS[i])) & kB[i];
  }
  return x | (y << 32);
}

// Encodes longitude/latitude at `step` bits each over the given ranges (geohashEncode).
bool Encode(const Range& lon_range, const Range& lat_range, double lon, double lat, int step,
            HashBits* out) {
  if (lon > kLongMax || lon < kLongMin || lat > kLatMax || lat < kLatMin) return false;
  if (lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max) {
    return false;
  }
  double lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
  double lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
  lat_offset *= static_cast<double>(1ULL << step);
  lon_offset *= static_cast<double>(1ULL << step);
  out->bits = Interleave(static_cast<uint32_t>(lat_offset), static_cast<uint32_t>(lon_offset));
  out->step = static_cast<uint8_t>(step);
  return true;
}

constexpr Range kWgsLon{kLongMin, kLongMax};
constexpr Range kWgsLat{kLatMin, kLatMax};

bool Decode(const HashBits& h, Area* area) {
  if (h.Zero()) return false;
  uint64_t sep = Deinterleave(h.bits);
  auto ilat = static_cast<uint32_t>(sep);
  auto ilon = static_cast<uint32_t>(sep >> 32);
  double lat_scale = kWgsLat.max - kWgsLat.min;
  double lon_scale = kWgsLon.max - kWgsLon.min;
  double div = static_cast<double>(1ULL << h.step);
  area->lat.min = kWgsLat.min + (ilat * 1.0 / div) * lat_scale;
  area->lat.max = kWgsLat.min + ((ilat + 1) * 1.0 / div) * lat_scale;
  area->lon.min = kWgsLon.min + (ilon * 1.0 / div) * lon_scale;
  area->lon.max = kWgsLon.min + ((ilon + 1) * 1.0 / div) * lon_scale;
  return true;
}

// The centre of a member's box: its longitude and latitude as Redis reports them.
bool DecodeScore(double score, double* xy) {
  HashBits h{static_cast<uint64_t>(score), kStepMax};
  Area a;
  if (!Decode(h, &a)) return false;
  xy[0] = std::clamp((a.lon.min + a.lon.max) / 2, kLongMin, kLongMax);
  xy[1] = std::clamp((a.lat.min + a.lat.max) / 2, kLatMin, kLatMax);
  return true;
}

uint64_t Align52(const HashBits& h) { return h.bits << (52 - h.step * 2); }

double LatDistance(double lat1, double lat2) {
  return kEarthRadius * std::fabs(DegRad(lat2) - DegRad(lat1));
}

// Haversine distance in meters.
double Distance(double lon1, double lat1, double lon2, double lat2) {
  double lon1r = DegRad(lon1), lon2r = DegRad(lon2);
  double v = std::sin((lon2r - lon1r) / 2);
  if (v == 0.0) return LatDistance(lat1, lat2);  // same meridian
  double lat1r = DegRad(lat1), lat2r = DegRad(lat2);
  double u = std::sin((lat2r - lat1r) / 2);
  double a = u * u + std::cos(lat1r) * std::cos(lat2r) * v * v;
  return 2.0 * kEarthRadius * std::asin(std::sqrt(a));
}

// Steps the coordinate held in the bits of `mask` by d boxes; the bits of the other
// coordinate (`fill`) are set while adding so the carry ripples across them.
void MoveAlong(HashBits* h, int d, uint64_t mask, uint64_t fill) {
  if (d == 0) return;
  uint64_t moving = h->bits & mask;
  uint64_t fixed = h->bits & fill;
  uint64_t zz = fill >> (64 - h->step * 2);
  if (d > 0) {
    moving += zz + 1;
  } else {
    moving |= zz;
    moving -= zz + 1;
  }
  moving &= mask >> (64 - h->step * 2);
  h->bits = moving | fixed;
}

constexpr uint64_t kLonBits = 0xaaaaaaaaaaaaaaaaULL;  // odd bits
constexpr uint64_t kLatBits = 0x5555555555555555ULL;  // even bits
void MoveX(HashBits* h, int d) { MoveAlong(h, d, kLonBits, kLatBits); }
void MoveY(HashBits* h, int d) { MoveAlong(h, d, kLatBits, kLonBits); }

// The box and its neighbours, in the order Redis searches them.
enum Box { kCenter, kNorth, kSouth, kEast, kWest, kNorthEast, kNorthWest, kSouthEast, kSouthWest };

struct Neighbourhood {
  HashBits boxes[9];
  Area area;  // of the centre box
};

HashBits Moved(HashBits h, int dx, int dy) {
  MoveX(&h, dx);
  MoveY(&h, dy);
  return h;
}

void FillNeighbours(const HashBits& h, HashBits* boxes) {
  boxes[kCenter] = h;
  boxes[kNorth] = Moved(h, 0, 1);
  boxes[kSouth] = Moved(h, 0, -1);
  boxes[kEast] = Moved(h, 1, 0);
  boxes[kWest] = Moved(h, -1, 0);
  boxes[kNorthEast] = Moved(h, 1, 1);
  boxes[kNorthWest] = Moved(h, -1, 1);
  boxes[kSouthEast] = Moved(h, 1, -1);
  boxes[kSouthWest] = Moved(h, -1, -1);
}

// ---- search shapes ----

struct Shape {
  bool circle = true;
  double xy[2] = {0, 0};  // centre: longitude, latitude
  double conversion = 1;  // meters per unit
  double radius = 0;      // circle, in units
  double width = 0, height = 0;  // box, in units
};

int EstimateSteps(double range_meters, double lat) {
  if (range_meters == 0) return 26;
  int step = 1;
  while (range_meters < kMercatorMax) {
    range_meters *= 2;
    ++step;
  }
  step -= 2;  // make sure the range is included in most base cases
  if (lat > 66 || lat < -66) {
    --step;
    if (lat > 80 || lat < -80) --step;
  }
  return std::clamp(step, 1, 26);
}

// Bounds of the shape: min longitude, min latitude, max longitude, max latitude.
void BoundingBox(const Shape& s, double* bounds) {
  double lon = s.xy[0], lat = s.xy[1];
  double height = s.conversion * (s.circle ? s.radius : s.height / 2);
  double width = s.conversion * (s.circle ? s.radius : s.width / 2);
  const double lat_delta = RadDeg(height / kEarthRadius);
  const double lon_delta_top = RadDeg(width / kEarthRadius / std::cos(DegRad(lat + lat_delta)));
  const double lon_delta_bottom =
      RadDeg(width / kEarthRadius / std::cos(DegRad(lat - lat_delta)));
  bool southern = lat < 0;
  bounds[0] = southern ? lon - lon_delta_bottom : lon - lon_delta_top;
  bounds[2] = southern ? lon + lon_delta_bottom : lon + lon_delta_top;
  bounds[1] = lat - lat_delta;
  bounds[3] = lat + lat_delta;
}

// geohashCalculateAreasByShapeWGS84: the boxes to search, useless ones zeroed.
Neighbourhood AreasForShape(const Shape& s) {
  double bounds[4];
  BoundingBox(s, bounds);
  double min_lon = bounds[0], min_lat = bounds[1], max_lon = bounds[2], max_lat = bounds[3];
  double lon = s.xy[0], lat = s.xy[1];
  double radius_m = s.circle ? s.radius
                             : std::sqrt((s.width / 2) * (s.width / 2) +
                                         (s.height / 2) * (s.height / 2));
  radius_m *= s.conversion;
  int steps = EstimateSteps(radius_m, lat);
  Neighbourhood n;
  HashBits h;
  Encode(kWgsLon, kWgsLat, lon, lat, steps, &h);
  FillNeighbours(h, n.boxes);
  Decode(h, &n.area);
  // Near the edges of the centre box the estimated step may be too coarse for the
  // neighbours to cover the shape: then use one step less.
  Area north, south, east, west;
  Decode(n.boxes[kNorth], &north);
  Decode(n.boxes[kSouth], &south);
  Decode(n.boxes[kEast], &east);
  Decode(n.boxes[kWest], &west);
  bool decrease = north.lat.max < max_lat || south.lat.min > min_lat ||
                  east.lon.max < max_lon || west.lon.min > min_lon;
  if (steps > 1 && decrease) {
    --steps;
    Encode(kWgsLon, kWgsLat, lon, lat, steps, &h);
    FillNeighbours(h, n.boxes);
    Decode(h, &n.area);
  }
  if (steps >= 2) {
    auto zero = [&](std::initializer_list<Box> boxes) {
      for (Box b : boxes) n.boxes[b] = HashBits{};
    };
    if (n.area.lat.min < min_lat) zero({kSouth, kSouthWest, kSouthEast});
    if (n.area.lat.max > max_lat) zero({kNorth, kNorthEast, kNorthWest});
    if (n.area.lon.min < min_lon) zero({kWest, kSouthWest, kNorthWest});
    if (n.area.lon.max > max_lon) zero({kEast, kSouthEast, kNorthEast});
  }
  return n;
}

struct Point {
  double lon, lat, dist, score;
  std::string member;
};

// Whether a member at xy lies in the shape; *dist gets its distance from the centre (meters).
bool InShape(const Shape& s, const double* xy, double* dist) {
  if (s.circle) {
    *dist = Distance(s.xy[0], s.xy[1], xy[0], xy[1]);
    return *dist <= s.radius * s.conversion;
  }
  double width_m = s.width * s.conversion, height_m = s.height * s.conversion;
  if (LatDistance(xy[1], s.xy[1]) > height_m / 2) return false;
  if (Distance(xy[0], xy[1], s.xy[0], xy[1]) > width_m / 2) return false;
  *dist = Distance(s.xy[0], s.xy[1], xy[0], xy[1]);
  return true;
}

// Members of the zset in the nine boxes that lie in the shape (stopping at `limit` when
// non-zero, for ANY).
void Search(const KeyValue* kv, const Shape& s, size_t limit, std::vector<Point>* out) {
  Neighbourhood n = AreasForShape(s);
  int last = -1;
  char buf[24];
  for (int i = 0; i < 9; ++i) {
    const HashBits& box = n.boxes[i];
    if (box.Zero()) continue;
    // Large radii can make neighbours coincide: skip a box equal to the last one searched.
    if (last > 0 && box.bits == n.boxes[last].bits && box.step == n.boxes[last].step) continue;
    if (!out->empty() && limit != 0 && out->size() >= limit) break;
    HashBits next = box;
    ++next.bits;
    ds::ScoreRange range{static_cast<double>(Align52(box)), static_cast<double>(Align52(next)),
                         false, true};
    for (ZIter it = zsetv::FirstInScore(kv, range); it.Valid(); it.Next()) {
      double score = it.Score();
      if (!range.LteMax(score)) break;
      double xy[2], dist = 0;
      if (DecodeScore(score, xy) && InShape(s, xy, &dist)) {
        out->push_back({xy[0], xy[1], dist, score, std::string(it.Member(buf))});
        if (limit != 0 && out->size() >= limit) break;
      }
    }
    last = i;
  }
}

// ---- argument parsing ----

bool ParseLonLat(CommandContext& ctx, std::string_view lon_arg, std::string_view lat_arg,
                 double* xy) {
  auto lon = ParseDouble(lon_arg);
  auto lat = lon ? ParseDouble(lat_arg) : std::nullopt;
  if (!lon || !lat) {
    ctx.reply.Error(err::kNotFloat);
    return false;
  }
  xy[0] = *lon;
  xy[1] = *lat;
  if (xy[0] < kLongMin || xy[0] > kLongMax || xy[1] < kLatMin || xy[1] > kLatMax) {
    char buf[256];
    snprintf(buf, sizeof(buf), "ERR invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
    ctx.reply.Error(buf);
    return false;
  }
  return true;
}

// Meters per unit, or a negative value after replying the error.
double ParseUnit(CommandContext& ctx, std::string_view u) {
  if (EqualsIgnoreCase(u, "m")) return 1;
  if (EqualsIgnoreCase(u, "km")) return 1000;
  if (EqualsIgnoreCase(u, "ft")) return 0.3048;
  if (EqualsIgnoreCase(u, "mi")) return 1609.34;
  ctx.reply.Error("ERR unsupported unit provided. please use M, KM, FT, MI");
  return -1;
}

bool ParseRadius(CommandContext& ctx, std::string_view value, std::string_view unit, Shape* s) {
  auto d = ParseDouble(value);
  if (!d) {
    ctx.reply.Error("ERR need numeric radius");
    return false;
  }
  if (*d < 0) {
    ctx.reply.Error("ERR radius cannot be negative");
    return false;
  }
  double conv = ParseUnit(ctx, unit);
  if (conv < 0) return false;
  s->circle = true;
  s->radius = *d;
  s->conversion = conv;
  return true;
}

bool ParseBox(CommandContext& ctx, std::string_view w, std::string_view h, std::string_view unit,
              Shape* s) {
  auto width = ParseDouble(w);
  if (!width) {
    ctx.reply.Error("ERR need numeric width");
    return false;
  }
  auto height = ParseDouble(h);
  if (!height) {
    ctx.reply.Error("ERR need numeric height");
    return false;
  }
  if (*height < 0 || *width < 0) {
    ctx.reply.Error("ERR height or width cannot be negative");
    return false;
  }
  double conv = ParseUnit(ctx, unit);
  if (conv < 0) return false;
  s->circle = false;
  s->width = *width;
  s->height = *height;
  s->conversion = conv;
  return true;
}

bool MemberPosition(const KeyValue* kv, std::string_view member, double* xy) {
  auto score = zsetv::Score(kv, member);
  return score && DecodeScore(*score, xy);
}

KeyValue* LookupZset(CommandContext& ctx, std::string_view key, bool* wrong) {
  KeyValue* kv = ctx.LookupRead(key);
  *wrong = kv != nullptr && kv->type() != ObjType::kZset;
  if (*wrong) ctx.WrongType();
  return *wrong ? nullptr : kv;
}

void ReplyDistance(CommandContext& ctx, double d) {
  char buf[128];
  int n = snprintf(buf, sizeof(buf), "%.4f", d);
  ctx.reply.Bulk(std::string_view(buf, static_cast<size_t>(n)));
}

void ReplyCoordinate(CommandContext& ctx, double v) {
  ctx.reply.DoubleText(FormatLongDoubleHuman(static_cast<long double>(v)));
}

// ---- commands ----

void GeoAdd(CommandContext& ctx) {
  size_t idx = 2;
  bool nx = false, xx = false;
  for (; idx < ctx.argc(); ++idx) {
    std::string_view o = ctx.argv[idx];
    if (EqualsIgnoreCase(o, "nx")) {
      nx = true;
    } else if (EqualsIgnoreCase(o, "xx")) {
      xx = true;
    } else if (!EqualsIgnoreCase(o, "ch")) {
      break;
    }
  }
  if ((ctx.argc() - idx) % 3 != 0 || (nx && xx)) {
    ctx.Syntax();
    return;
  }
  // Rewritten as ZADD key [options] score member ..., which does the work and is what
  // replicas receive.
  std::vector<std::string> zadd = {"ZADD"};
  for (size_t i = 1; i < idx; ++i) zadd.emplace_back(ctx.argv[i]);
  for (size_t i = idx; i < ctx.argc(); i += 3) {
    double xy[2];
    if (!ParseLonLat(ctx, ctx.argv[i], ctx.argv[i + 1], xy)) return;
    HashBits h;
    Encode(kWgsLon, kWgsLat, xy[0], xy[1], kStepMax, &h);
    zadd.push_back(std::to_string(Align52(h)));
    zadd.emplace_back(ctx.argv[i + 2]);
  }
  std::vector<std::string_view> views(zadd.begin(), zadd.end());
  CommandContext sub(ctx.server, ctx.client, ctx.cmd, views, ctx.now_ms);
  uint64_t dirty_before = ctx.server.dirty;
  zsetcmd::Add(sub);
  if (ctx.server.dirty != dirty_before) {
    ctx.PropagateAs(std::move(zadd));
  } else {
    ctx.PreventPropagation();
  }
}

void GeoDist(CommandContext& ctx) {
  double to_meter = 1;
  if (ctx.argc() == 5) {
    to_meter = ParseUnit(ctx, ctx.argv[4]);
    if (to_meter < 0) return;
  } else if (ctx.argc() > 5) {
    ctx.Syntax();
    return;
  }
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  double a[2], b[2];
  if (kv == nullptr || !MemberPosition(kv, ctx.argv[2], a) ||
      !MemberPosition(kv, ctx.argv[3], b)) {
    ctx.reply.Null();
    return;
  }
  ReplyDistance(ctx, Distance(a[0], a[1], b[0], b[1]) / to_meter);
}

void GeoHash(CommandContext& ctx) {
  static const char kAlphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    double xy[2];
    if (kv == nullptr || !MemberPosition(kv, ctx.argv[j], xy)) {
      ctx.reply.Null();
      continue;
    }
    // The standard geohash uses latitudes -90..90 (ours -85..85): re-encode.
    HashBits h;
    Encode(Range{-180, 180}, Range{-90, 90}, xy[0], xy[1], 26, &h);
    char out[11];
    for (int i = 0; i < 11; ++i) {
      // 52 bits make 10 characters and 2 bits; the 11th character is "0".
      int idx = i == 10 ? 0 : static_cast<int>((h.bits >> (52 - (i + 1) * 5)) & 0x1f);
      out[i] = kAlphabet[idx];
    }
    ctx.reply.Bulk(std::string_view(out, 11));
  }
}

void GeoPos(CommandContext& ctx) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[1], &wrong);
  if (wrong) return;
  ctx.reply.ArrayHeader(ctx.argc() - 2);
  for (size_t j = 2; j < ctx.argc(); ++j) {
    double xy[2];
    if (kv == nullptr || !MemberPosition(kv, ctx.argv[j], xy)) {
      ctx.reply.NullArray();
      continue;
    }
    ctx.reply.ArrayHeader(2);
    ReplyCoordinate(ctx, xy[0]);
    ReplyCoordinate(ctx, xy[1]);
  }
}

enum SearchFlags {
  kByCoords = 1,       // GEORADIUS: longitude latitude radius unit
  kByMember = 2,       // GEORADIUSBYMEMBER: member radius unit
  kNoStore = 4,        // the _RO forms
  kGeoSearch = 8,      // GEOSEARCH options
  kGeoSearchStore = 16,
};

enum class Sort { kNone, kAsc, kDesc };

// Redis's georadiusGeneric, for all six search commands.
void SearchGeneric(CommandContext& ctx, size_t src_idx, int flags) {
  bool wrong;
  KeyValue* kv = LookupZset(ctx, ctx.argv[src_idx], &wrong);
  if (wrong) return;
  Shape shape;
  size_t base;
  std::string_view store;
  if (flags & kByCoords) {
    base = 6;
    if (!ParseLonLat(ctx, ctx.argv[2], ctx.argv[3], shape.xy)) return;
    if (!ParseRadius(ctx, ctx.argv[4], ctx.argv[5], &shape)) return;
  } else if (flags & kByMember) {
    base = 5;
    if (kv != nullptr) {
      if (!MemberPosition(kv, ctx.argv[2], shape.xy)) {
        ctx.reply.Error("ERR could not decode requested zset member");
        return;
      }
      if (!ParseRadius(ctx, ctx.argv[3], ctx.argv[4], &shape)) return;
    }
  } else {
    base = 2;
    if (flags & kGeoSearchStore) {
      base = 3;
      store = ctx.argv[1];
    }
  }
  bool withdist = false, withhash = false, withcoord = false, any = false, storedist = false;
  bool frommember = false, fromlonlat = false, byradius = false, bybox = false;
  Sort sort = Sort::kNone;
  int64_t count = 0;
  size_t remaining = ctx.argc() > base ? ctx.argc() - base : 0;
  for (size_t i = 0; i < remaining; ++i) {
    std::string_view a = ctx.argv[base + i];
    auto arg = [&](size_t k) { return ctx.argv[base + i + k]; };
    if (EqualsIgnoreCase(a, "withdist")) {
      withdist = true;
    } else if (EqualsIgnoreCase(a, "withhash")) {
      withhash = true;
    } else if (EqualsIgnoreCase(a, "withcoord")) {
      withcoord = true;
    } else if (EqualsIgnoreCase(a, "any")) {
      any = true;
    } else if (EqualsIgnoreCase(a, "asc")) {
      sort = Sort::kAsc;
    } else if (EqualsIgnoreCase(a, "desc")) {
      sort = Sort::kDesc;
    } else if (EqualsIgnoreCase(a, "count") && i + 1 < remaining) {
      auto c = ParseInt64(arg(1));
      if (!c) {
        ctx.reply.Error(err::kNotInteger);
        return;
      }
      if (*c <= 0) {
        ctx.reply.Error("ERR COUNT must be > 0");
        return;
      }
      count = *c;
      ++i;
    } else if ((EqualsIgnoreCase(a, "store") || EqualsIgnoreCase(a, "storedist")) &&
               i + 1 < remaining && !(flags & kNoStore) && !(flags & kGeoSearch)) {
      store = arg(1);
      storedist = EqualsIgnoreCase(a, "storedist");
      ++i;
    } else if (EqualsIgnoreCase(a, "storedist") && (flags & kGeoSearchStore)) {
      storedist = true;
    } else if (EqualsIgnoreCase(a, "frommember") && i + 1 < remaining && (flags & kGeoSearch) &&
               !fromlonlat) {
      if (kv != nullptr && !MemberPosition(kv, arg(1), shape.xy)) {
        ctx.reply.Error("ERR could not decode requested zset member");
        return;
      }
      frommember = true;
      ++i;
    } else if (EqualsIgnoreCase(a, "fromlonlat") && i + 2 < remaining && (flags & kGeoSearch) &&
               !frommember) {
      if (!ParseLonLat(ctx, arg(1), arg(2), shape.xy)) return;
      fromlonlat = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "byradius") && i + 2 < remaining && (flags & kGeoSearch) &&
               !bybox) {
      if (!ParseRadius(ctx, arg(1), arg(2), &shape)) return;
      byradius = true;
      i += 2;
    } else if (EqualsIgnoreCase(a, "bybox") && i + 3 < remaining && (flags & kGeoSearch) &&
               !byradius) {
      if (!ParseBox(ctx, arg(1), arg(2), arg(3), &shape)) return;
      bybox = true;
      i += 3;
    } else {
      ctx.Syntax();
      return;
    }
  }
  if (!store.empty() && (withdist || withhash || withcoord)) {
    ctx.reply.Error(std::string("ERR ") +
                    ((flags & kGeoSearchStore) ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS") +
                    " is not compatible with WITHDIST, WITHHASH and WITHCOORD options");
    return;
  }
  std::string name(ctx.argv[0]);
  if ((flags & kGeoSearch) && !(frommember || fromlonlat)) {
    ctx.reply.Error("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name);
    return;
  }
  if ((flags & kGeoSearch) && !(byradius || bybox)) {
    ctx.reply.Error("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name);
    return;
  }
  if (any && count == 0) {
    ctx.reply.Error("ERR the ANY argument requires COUNT argument");
    return;
  }
  if (kv == nullptr) {
    if (!store.empty()) {
      if (ctx.LookupWrite(store) != nullptr) {
        ctx.ks().Delete(ctx.db(), store, ctx.server.config().lazyfree_lazy_server_del);
        ctx.Modified(store);
        ctx.Notify(kNotifyGeneric, "del", store);
        ctx.Dirty();
      }
      ctx.reply.Integer(0);
    } else {
      ctx.reply.EmptyArray();
    }
    return;
  }
  // COUNT alone means "the closest N".
  if (count != 0 && sort == Sort::kNone && !any) sort = Sort::kAsc;
  std::vector<Point> points;
  Search(kv, shape, any ? static_cast<size_t>(count) : 0, &points);
  if (points.empty() && store.empty()) {
    ctx.reply.EmptyArray();
    return;
  }
  size_t returned = count == 0 || points.size() < static_cast<size_t>(count)
                        ? points.size()
                        : static_cast<size_t>(count);
  if (sort != Sort::kNone) {
    auto cmp = [sort](const Point& a, const Point& b) -> int {
      int c = a.dist > b.dist ? 1 : (a.dist == b.dist ? 0 : -1);
      return sort == Sort::kAsc ? c : -c;
    };
    // As Redis: glibc's qsort (a stable merge sort) for everything, its partial quicksort
    // when COUNT cuts the result, so equal distances come out in the same order.
    if (returned == points.size()) {
      std::stable_sort(points.begin(), points.end(),
                       [&](const Point& a, const Point& b) { return cmp(a, b) < 0; });
    } else {
      PartialQsort(points, 0, returned - 1, cmp);
    }
  }
  if (store.empty()) {
    size_t options = (withdist ? 1 : 0) + (withcoord ? 1 : 0) + (withhash ? 1 : 0);
    ctx.reply.ArrayHeader(returned);
    for (size_t i = 0; i < returned; ++i) {
      const Point& p = points[i];
      if (options > 0) ctx.reply.ArrayHeader(options + 1);
      ctx.reply.Bulk(p.member);
      if (withdist) ReplyDistance(ctx, p.dist / shape.conversion);
      if (withhash) ctx.reply.Integer(static_cast<int64_t>(p.score));
      if (withcoord) {
        ctx.reply.ArrayHeader(2);
        ReplyCoordinate(ctx, p.lon);
        ReplyCoordinate(ctx, p.lat);
      }
    }
    return;
  }
  std::vector<zsetcmd::Pair> pairs;
  pairs.reserve(returned);
  for (size_t i = 0; i < returned; ++i) {
    const Point& p = points[i];
    pairs.push_back({p.member, storedist ? p.dist / shape.conversion : p.score});
  }
  size_t n = zsetcmd::Store(ctx, store, pairs,
                            (flags & kGeoSearch) ? "geosearchstore" : "georadiusstore");
  ctx.reply.Integer(static_cast<int64_t>(n));
}

void GeoRadius(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoords); }
void GeoRadiusRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kByCoords | kNoStore); }
void GeoRadiusByMember(CommandContext& ctx) { SearchGeneric(ctx, 1, kByMember); }
void GeoRadiusByMemberRo(CommandContext& ctx) { SearchGeneric(ctx, 1, kByMember | kNoStore); }
void GeoSearch(CommandContext& ctx) { SearchGeneric(ctx, 1, kGeoSearch); }
void GeoSearchStore(CommandContext& ctx) {
  SearchGeneric(ctx, 2, kGeoSearch | kGeoSearchStore);
}

// GEORADIUS and GEORADIUSBYMEMBER write only with STORE / STOREDIST: their second key spec
// finds the destination after that keyword.
KeySpec StoreKeySpec() {
  KeySpec k;
  k.flags = kKsOW | kKsUpdate;
  k.begin = KeySpec::Begin::kKeyword;
  k.keyword = "STORE";
  k.startfrom = 6;
  return k;
}

}  // namespace

void RegisterGeoCommands(CommandTable& t) {
  const uint64_t G = kAclGeo;
  auto doc = [](std::string_view summary, std::string_view since, std::string_view complexity,
                std::string_view args) {
    return CommandDoc{summary, since, "geo", complexity, args};
  };
  constexpr uint32_t kRO = kKsRO | kKsAccess;
  t.Add({.name = "geoadd", .handler = GeoAdd, .arity = -5, .flags = kCmdWrite | kCmdDenyOom,
         .acl = G, .keys = {KeySpec::Range(1, 0, 1, kKsRW | kKsUpdate)},
         .doc = doc("Adds one or more members to a geospatial index. The key is created if it "
                    "doesn't exist.",
                    "3.2.0", "O(log(N)) for each item added, where N is the number of elements "
                    "in the sorted set.",
                    "key:key [condition=NX|XX] [CH] data=(longitude:double latitude:double "
                    "member:string)...")});
  t.Add({.name = "geodist", .handler = GeoDist, .arity = -4, .flags = kCmdReadonly, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns the distance between two members of a geospatial index.", "3.2.0",
                    "O(log(N))", "key:key member1:string member2:string [unit=M|KM|FT|MI]")});
  t.Add({.name = "geohash", .handler = GeoHash, .arity = -2, .flags = kCmdReadonly, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns members from a geospatial index as geohash strings.", "3.2.0",
                    "O(log(N)) for each member requested, where N is the number of elements in "
                    "the sorted set.",
                    "key:key [member:string...]")});
  t.Add({.name = "geopos", .handler = GeoPos, .arity = -2, .flags = kCmdReadonly, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns the longitude and latitude of members from a geospatial index.",
                    "3.2.0", "O(N) where N is the number of members requested.",
                    "key:key [member:string...]")});
  const char* kSearchComplexity =
      "O(N+log(M)) where N is the number of elements inside the bounding box of the circular "
      "area delimited by center and radius and M is the number of items inside the index.";
  KeySpec store = StoreKeySpec();
  KeySpec storedist = StoreKeySpec();
  storedist.keyword = "STOREDIST";
  t.Add({.name = "georadius", .handler = GeoRadius, .arity = -6,
         .flags = kCmdWrite | kCmdDenyOom, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kRO), store, storedist},
         .doc = doc("Queries a geospatial index for members within a distance from a "
                    "coordinate, optionally stores the result.",
                    "3.2.0", kSearchComplexity,
                    "key:key longitude:double latitude:double radius:double unit=M|KM|FT|MI "
                    "[WITHCOORD] [WITHDIST] [WITHHASH] [count-block=COUNT count:integer [ANY]] "
                    "[order=ASC|DESC] [store=STORE key:key|STOREDIST key:key]")});
  KeySpec store_m = store, storedist_m = storedist;
  store_m.startfrom = storedist_m.startfrom = 5;
  t.Add({.name = "georadiusbymember", .handler = GeoRadiusByMember, .arity = -5,
         .flags = kCmdWrite | kCmdDenyOom, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kRO), store_m, storedist_m},
         .doc = doc("Queries a geospatial index for members within a distance from a member, "
                    "optionally stores the result.",
                    "3.2.0", kSearchComplexity,
                    "key:key member:string radius:double unit=M|KM|FT|MI [WITHCOORD] "
                    "[WITHDIST] [WITHHASH] [count-block=COUNT count:integer [ANY]] "
                    "[order=ASC|DESC] [store=STORE key:key|STOREDIST key:key]")});
  t.Add({.name = "georadius_ro", .handler = GeoRadiusRo, .arity = -6, .flags = kCmdReadonly,
         .acl = G, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns members from a geospatial index that are within a distance from "
                    "a coordinate.",
                    "3.2.10", kSearchComplexity,
                    "key:key longitude:double latitude:double radius:double unit=M|KM|FT|MI "
                    "[WITHCOORD] [WITHDIST] [WITHHASH] [count-block=COUNT count:integer [ANY]] "
                    "[order=ASC|DESC]")});
  t.Add({.name = "georadiusbymember_ro", .handler = GeoRadiusByMemberRo, .arity = -5,
         .flags = kCmdReadonly, .acl = G, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Returns members from a geospatial index that are within a distance from "
                    "a member.",
                    "3.2.10", kSearchComplexity,
                    "key:key member:string radius:double unit=M|KM|FT|MI [WITHCOORD] "
                    "[WITHDIST] [WITHHASH] [count-block=COUNT count:integer [ANY]] "
                    "[order=ASC|DESC]")});
  const char* kBoxComplexity =
      "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area "
      "around the shape provided as the filter and M is the number of items inside the shape";
  t.Add({.name = "geosearch", .handler = GeoSearch, .arity = -7, .flags = kCmdReadonly,
         .acl = G, .keys = {KeySpec::Range(1, 0, 1, kRO)},
         .doc = doc("Queries a geospatial index for members inside an area of a box or a "
                    "circle.",
                    "6.2.0", kBoxComplexity,
                    "key:key from=(FROMMEMBER member:string|FROMLONLAT longitude:double "
                    "latitude:double) by=(circle=BYRADIUS radius:double unit=M|KM|FT|MI|box="
                    "BYBOX width:double height:double unit=M|KM|FT|MI) [order=ASC|DESC] "
                    "[count-block=COUNT count:integer [ANY]] [WITHCOORD] [WITHDIST] "
                    "[WITHHASH]")});
  t.Add({.name = "geosearchstore", .handler = GeoSearchStore, .arity = -8,
         .flags = kCmdWrite | kCmdDenyOom, .acl = G,
         .keys = {KeySpec::Range(1, 0, 1, kKsOW | kKsUpdate), KeySpec::Range(2, 0, 1, kRO)},
         .doc = doc("Queries a geospatial index for members inside an area of a box or a "
                    "circle, optionally stores the result.",
                    "6.2.0", kBoxComplexity,
                    "destination:key source:key from=(FROMMEMBER member:string|FROMLONLAT "
                    "longitude:double latitude:double) by=(circle=BYRADIUS radius:double unit="
                    "M|KM|FT|MI|box=BYBOX width:double height:double unit=M|KM|FT|MI) "
                    "[order=ASC|DESC] [count-block=COUNT count:integer [ANY]] [STOREDIST]")});
}

}  // namespace tessera
