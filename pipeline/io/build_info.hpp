// What was built: the version and the `git describe` of the tree, for --version, provenance and
// the manifest. git_describe() is generated at every build (cmake/git_describe.cmake).
#pragma once

namespace nl {

const char* git_describe();

}  // namespace nl
