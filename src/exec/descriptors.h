#pragma once
// Descriptors 0, 1 and 2 as everything after main's first line may assume them.

namespace schemagate::exec {

// Opens /dev/null onto each of descriptors 0, 1 and 2 that is closed (a runtime, or a shell's
// `1>&- 2>&-`, may start schemagate so). Otherwise the next descriptors opened take those numbers:
// the signalfd would become stdout and the database socket stderr, and log lines would be
// written into the connection. The app exec'd later inherits /dev/null there too.
// REQUIRES: called before anything opens a descriptor (first in main). Never fails: without a
// /dev/null (a bare chroot) the descriptor stays closed, as it was.
void fill_standard_descriptors();

}  // namespace schemagate::exec
