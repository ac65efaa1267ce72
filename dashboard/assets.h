// The dashboard's page: index.html and the bundle web/ builds (esbuild), embedded at build
// time by dashboard/CMakeLists.txt so that nothing is read or fetched at run time.
#ifndef AUGUR_DASHBOARD_ASSETS_H_
#define AUGUR_DASHBOARD_ASSETS_H_

#include <string_view>

namespace augur::dashboard {

struct Asset {
  std::string_view path;          // "/", "/app.js", ...
  std::string_view content_type;  // "text/html; charset=utf-8", ...
  std::string_view body;
};

// The embedded files; `*count` is set to their number.
const Asset* Assets(int* count);

}  // namespace augur::dashboard

#endif  // AUGUR_DASHBOARD_ASSETS_H_
