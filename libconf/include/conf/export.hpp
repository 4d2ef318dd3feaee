// CONF_API marks what libconf exports; everything else is hidden (-fvisibility=hidden), so the
// shared library's ABI is exactly its public headers.
#pragma once

#define CONF_API [[gnu::visibility("default")]]
