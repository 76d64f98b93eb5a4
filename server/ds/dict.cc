#include "server/ds/dict.h"

namespace tessera::ds {

namespace {
ResizePolicy g_resize_policy = ResizePolicy::kEnable;
}

ResizePolicy GetResizePolicy() { return g_resize_policy; }
void SetResizePolicy(ResizePolicy p) { g_resize_policy = p; }

}  // namespace tessera::ds
