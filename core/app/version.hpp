#pragma once

#ifndef PORTCULLIS_VERSION
#define PORTCULLIS_VERSION "0.0.0-dev"
#endif

namespace portcullis::app {
inline constexpr const char* kVersion = PORTCULLIS_VERSION;
}  // namespace portcullis::app
