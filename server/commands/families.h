// Each command family registers its table here (one file per family).
#pragma once

namespace tessera {

class CommandTable;

void RegisterStringCommands(CommandTable& t);
void RegisterKeyspaceCommands(CommandTable& t);
void RegisterConnectionCommands(CommandTable& t);
void RegisterServerCommands(CommandTable& t);
void RegisterIntrospectionCommands(CommandTable& t);
void RegisterDebugCommand(CommandTable& t);
void RegisterHashCommands(CommandTable& t);
void RegisterSetCommands(CommandTable& t);
void RegisterZsetCommands(CommandTable& t);
void RegisterListCommands(CommandTable& t);
void RegisterBitmapCommands(CommandTable& t);
void RegisterHyperLogLogCommands(CommandTable& t);
void RegisterGeoCommands(CommandTable& t);
void RegisterSortCommands(CommandTable& t);
void RegisterStreamCommands(CommandTable& t);
void RegisterTransactionCommands(CommandTable& t);
void RegisterPubSubCommands(CommandTable& t);
void RegisterScriptingCommands(CommandTable& t);
void RegisterFunctionCommands(CommandTable& t);
void RegisterMemoryCommands(CommandTable& t);
void RegisterDumpCommands(CommandTable& t);
void RegisterPersistenceCommands(CommandTable& t);
void RegisterReplicationCommands(CommandTable& t);

}  // namespace tessera
