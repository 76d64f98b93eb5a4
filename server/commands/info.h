// INFO: the report with Redis's section and field names, filled from real figures.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace tessera {

class Server;

// Builds the INFO text for the requested sections ("default", "all", "everything" or names).
std::string BuildInfo(Server& server, std::span<const std::string_view> sections);

// Memory figures INFO and MEMORY share, refreshed at most every 100 ms by the cron.
void SampleMemoryPeak(Server& server);

}  // namespace tessera
