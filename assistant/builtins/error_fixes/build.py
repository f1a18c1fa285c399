"""Package managers and build tools: pip, npm and node, cargo and rustc, go, maven and
gradle."""

from __future__ import annotations

from assistant.builtins.error_fixes.table import FixEntry, rx

_STD_RUST = {"crate", "self", "super", "std", "core", "alloc"}


def _crate(names: dict[str, str]) -> dict[str, str] | None:
    path = names.get("path", "")
    crate = path.split("::", 1)[0]
    if not crate or not crate.replace("_", "a").replace("-", "a").isalnum():
        return None
    if crate in _STD_RUST or crate[0].isupper():
        return {"crate": crate, "_means": f"The path {path} names nothing in this crate or "
                                          "the standard library",
                "_fix": "Check the module path and that the item is declared pub",
                "_command": ""}
    return {"crate": crate}


def _node_module(names: dict[str, str]) -> dict[str, str] | None:
    module = names.get("module", "")
    if not module:
        return None
    if module.startswith((".", "/")):
        return {"_means": "The file it names does not exist at that path",
                "_fix": "Check the relative path and the file's name and extension",
                "_command": ""}
    parts = module.split("/")
    package = "/".join(parts[:2]) if module.startswith("@") else parts[0]
    return {"package": package}


def _peer(names: dict[str, str]) -> dict[str, str]:
    peer, dependent = names.get("peer", ""), names.get("dependent", "")
    return {"peer_note": f" ({dependent} wants {peer})" if peer and dependent else ""}


ENTRIES: tuple[FixEntry, ...] = (
    # -- pip ------------------------------------------------------------------------------
    FixEntry("build.pip_no_version",
             rx(r"(?:Could\s*not\s*find\s*a\s*version\s*that\s*satisfies\s*the\s*requirement|"
                r"No\s*matching\s*distribution\s*found\s*for)\s*(?P<req>(?P<package>[\w.\-]+)"
                r"(?:\[[\w,]+\])?(?:\s*[=<>!~]=?\s*[\w.*]+)?)"),
             "pip found no release of {package} that fits",
             "The name is misspelt, that version does not exist, or it does not support "
             "this Python version",
             "Check the name and the versions it has", "python -m pip index versions "
             "{package}", rank=3),
    FixEntry("build.pip_externally_managed", rx(r"externally[\s-]*managed[\s-]*environment"),
             "pip refused to install into the system's Python",
             "That Python belongs to the operating system's package manager",
             "Make a virtual environment and install there",
             "python3 -m venv .venv && . .venv/bin/activate", rank=3),
    FixEntry("build.pip_wheel",
             rx(r"(?:Failed\s*building\s*wheel\s*for|Failed\s*to\s*build|Building\s*wheel\s*"
                r"for\s*\S+\s*\(pyproject\.toml\)\s*did\s*not\s*run\s*successfully.*?for)\s*"
                r"(?P<package>[\w.\-]+)"),
             "pip could not build {package} from source",
             "There is no ready-made wheel for this Python, and compiling it needs tools "
             "or headers that are missing",
             "Install the compiler and Python headers, or choose a version of {package} "
             "that has a wheel for your Python", "sudo apt install build-essential "
             "python3-dev", rank=3),
    FixEntry("build.pip_conflict",
             rx(r"ResolutionImpossible|(?:Cannot|can\W?t)\s*install\s*(?P<packages>.+?)\s*"
                r"because\s*these\s*package\s*versions\s*have\s*conflicting"),
             "pip found no set of versions that fits {packages}",
             "Two packages pin versions of a shared dependency that cannot both hold",
             "Loosen the pinned versions in your requirements, or upgrade the packages "
             "that pin too tightly", rank=3, defaults={"packages": "all the requirements"},
             context=(rx(r"Cannot\s*install\s*(?P<packages>.+?)\s*because"),)),
    # -- npm / node -----------------------------------------------------------------------
    FixEntry("build.npm_eresolve",
             rx(r"ERESOLVE\s*(?:unable\s*to\s*resolve|could\s*not\s*resolve)|"
                r"npm\s*ERR!\s*code\s*ERESOLVE"),
             "npm could not resolve the dependency tree",
             "A package's peer dependency conflicts with a version the project has"
             "{peer_note}",
             "Align the versions in package.json, or install while ignoring peer "
             "conflicts", "npm install --legacy-peer-deps", rank=3,
             context=(rx(r"peer\s*(?P<peer>\S+@\S+)\s*from\s*(?P<dependent>\S+)"),),
             derive=_peer),
    FixEntry("build.npm_404",
             rx(r"(?:E404|404\s*Not\s*Found)\s*-?\s*GET\s*\S*?registry\.\S*?/(?P<package>"
                r"@?[\w.\-]+(?:%2f[\w.\-]+)?)|{Q}(?P<package2>@?[\w.\-/]+?)@\S*{Q}\s*is\s*"
                r"not\s*in\s*(?:this|the\s*npm)\s*registry"),
             "The npm registry has no package called {package}",
             "The name is misspelt, or the package is private or was removed",
             "Check the exact name on the registry", "npm view {package}", rank=3,
             derive=lambda n: {"package": n.get("package") or n.get("package2", "")}),
    FixEntry("build.npm_eacces",
             rx(r"(?:npm\s*ERR!\s*code\s*EACCES|EACCES:\s*permission\s*denied\s*,\s*\w+\s*"
                r"{Q}?(?P<path>/usr/(?:local/)?lib/node_modules\S*))"),
             "npm may not write to the global package folder",
             "Global packages go to a folder owned by root",
             "Don't use sudo with npm: give it a folder of your own",
             "npm config set prefix ~/.npm-global", rank=3),
    FixEntry("build.npm_missing_script",
             rx(r"Missing\s*script\s*:\s*{Q}?(?P<script>[\w:\-]+)"),
             "package.json has no script called {script}",
             "npm run {script} looks for it under scripts in package.json",
             "Add it to scripts, or list the scripts there are", "npm run", rank=3),
    FixEntry("build.npm_no_package_json",
             rx(r"(?:enoent\s*)?Could\s*not\s*read\s*package\.json|"
                r"no\s*such\s*file.*?package\.json"),
             "npm found no package.json here",
             "The command ran outside the project's folder",
             "Go to the folder that has package.json, or create one", "npm init -y",
             rank=3),
    FixEntry("build.node_module",
             rx(r"(?:Error\s*:\s*)?Cannot\s*find\s*(?:module|package)\s*{Q}(?P<module>"
                r"[@\w.\-/]+){Q}"),
             "Node can't find the module {module}",
             "It isn't installed in this project's node_modules",
             "Install it in the project", "npm install {package}", rank=3,
             derive=_node_module),
    # -- cargo / rustc --------------------------------------------------------------------
    FixEntry("build.rust_unresolved",
             rx(r"error\[E04(?:32|33|63)\]\s*:\s*(?:unresolved\s*import|failed\s*to\s*resolve"
                r"\s*:\s*use\s*of\s*(?:undeclared|unresolved)\s*(?:crate\s*or\s*module|"
                r"module\s*or\s*unlinked\s*crate|crate)|can\W?t\s*find\s*crate\s*for)\s*{Q}?"
                r"(?P<path>[\w:]+){Q}?"),
             "Rust can't find the crate {crate}",
             "It is not a dependency in Cargo.toml",
             "Add it as a dependency", "cargo add {crate}", rank=3, derive=_crate),
    FixEntry("build.rust_not_found",
             rx(r"error\[E0425\]\s*:\s*cannot\s*find\s*(?P<what>value|function)\s*{Q}"
                r"(?P<name>\w+){Q}"),
             "Rust can't find the {what} {name} in this scope",
             "It is misspelt, not declared yet, or not imported with use",
             "Declare {name} or bring it into scope with use", rank=3),
    FixEntry("build.rust_mismatched", rx(r"error\[E0308\]\s*:\s*mismatched\s*types"),
             "Rust found mismatched types",
             "A value's type differs from the one expected at that place",
             "Convert the value, or change the declared type, at the line shown", rank=3),
    FixEntry("build.rust_borrow", rx(r"error\[E0(?:382|499|502|505|506|597)\]\s*:\s*"
                                     r"(?P<why>[^\n]+)"),
             "The borrow checker refused the code: {why}",
             "A value is used after it was moved, or borrowed in a conflicting way",
             "Clone the value, borrow it with &, or shorten the first borrow", rank=3),
    FixEntry("build.cargo_compile",
             rx(r"error\s*:\s*could\s*not\s*compile\s*{Q}?(?P<crate>[\w\-]+){Q}?"),
             "cargo could not compile {crate}",
             "This is the summary line: the errors that caused it are printed above it",
             "Fix the first error above this line and build again", "cargo build",
             rank=1),
    # -- go -------------------------------------------------------------------------------
    FixEntry("build.go_missing_module",
             rx(r"no\s*required\s*module\s*provides\s*package\s*(?P<package>[\w.\-/]+)"),
             "Go has no module that provides the package {package}",
             "It is imported, but its module is not in go.mod",
             "Add it", "go get {package}", rank=3),
    FixEntry("build.go_cannot_find",
             rx(r"cannot\s*find\s*package\s*{Q}(?P<package>[\w.\-/]+){Q}"),
             "Go can't find the package {package}",
             "Its module is not downloaded or not listed in go.mod",
             "Fetch it", "go get {package}", rank=3),
    FixEntry("build.go_sum", rx(r"missing\s*go\.sum\s*entry"),
             "go.sum lacks a checksum for a module the code uses",
             "go.mod and go.sum are out of step",
             "Let Go update them", "go mod tidy", rank=3),
    FixEntry("build.go_no_mod", rx(r"go\.mod\s*file\s*not\s*found"),
             "Go found no go.mod for this code",
             "The folder is not a Go module, or you are outside it",
             "Run it inside the module, or create one here",
             "go mod init example.com/{name}", rank=3, defaults={"name": "myapp"}),
    FixEntry("build.go_unused_import",
             rx(r"(?:{Q}(?P<package>[\w.\-/]+){Q}\s*)?imported\s*(?:and|but)\s*not\s*used"),
             "The package {package} is imported but not used",
             "Go refuses to compile unused imports",
             "Remove that import, or use it", rank=3, defaults={"package": "named there"}),
    FixEntry("build.go_undefined", rx(r"\bundefined\s*:\s*(?P<name>[\w.]+)"),
             "Go does not know the name {name}",
             "It is misspelt, not exported (lower-case), or its package is not imported",
             "Check the spelling, the import and the capital letter", rank=3),
    # -- maven / gradle -------------------------------------------------------------------
    FixEntry("build.maven_dependencies",
             rx(r"Could\s*not\s*resolve\s*dependencies\s*for\s*project\s*(?P<project>[\w.\-]+"
                r"(?::[\w.\-]+)*)\s*:\s*(?:.*?(?:Could\s*not\s*find\s*artifact|The\s*following\s*artifacts"
                r"\s*could\s*not\s*be\s*resolved\s*:)\s*(?P<artifact>[\w.\-]+:[\w.\-]+"
                r"(?::[\w.\-]+)*))?"),
             "Maven could not get the dependencies of {project}",
             "A dependency {artifact} is not in the repositories it searched: the "
             "groupId, artifactId or version is wrong, or a repository is missing",
             "Check that dependency's coordinates and version in pom.xml and the "
             "repositories, then force Maven to look again", "mvn -U clean install",
             rank=3, context=(rx(r"Could\s*not\s*find\s*artifact\s*(?P<artifact>"
                                 r"[\w.\-]+:[\w.\-]+(?::[\w.\-]+)*)"),)),
    FixEntry("build.maven_artifact",
             rx(r"Could\s*not\s*(?:find|transfer)\s*artifact\s*(?P<artifact>[\w.\-]+:"
                r"[\w.\-]+(?::[\w.\-]+)*)"),
             "Maven could not find the artifact {artifact}",
             "That groupId, artifactId or version is not in the repositories it searched",
             "Check the coordinates and version in pom.xml, then retry with updates",
             "mvn -U clean install", rank=3),
    FixEntry("build.java_package",
             rx(r"package\s*(?P<package>[\w.]+)\s*does\s*not\s*exist"),
             "Java can't find the package {package}",
             "The dependency that provides it is missing from the build",
             "Add that dependency to pom.xml or build.gradle, then rebuild", rank=3),
    FixEntry("build.java_symbol",
             rx(r"cannot\s*find\s*symbol"),
             "Java can't find a symbol the code uses",
             "A class, method or variable is misspelt, not imported, or not on the "
             "classpath",
             "Check the name in the line shown and its import", rank=2),
    FixEntry("build.gradle_resolve",
             rx(r"Could\s*not\s*(?:resolve\s*all\s*(?:files|dependencies)\s*for\s*"
                r"configuration|find\s*(?P<artifact>[\w.\-]+:[\w.\-]+:[\w.\-]+)\.)"),
             "Gradle could not resolve a dependency {artifact}",
             "The coordinates or version are wrong, or the repository is not declared",
             "Check dependencies and repositories in build.gradle, then refresh",
             "./gradlew build --refresh-dependencies", rank=3,
             context=(rx(r"Could\s*not\s*find\s*(?P<artifact>[\w.\-]+:[\w.\-]+:[\w.\-]+)"),)),
    FixEntry("build.maven_failure",
             rx(r"\[ERROR\]\s*Failed\s*to\s*execute\s*goal\s*(?P<goal>\S+)"),
             "Maven stopped in the goal {goal}",
             "This is the summary: the cause is in the lines above it",
             "Fix the first [ERROR] above this line, then build again", rank=1),
    FixEntry("build.npm_generic", rx(r"npm\s*ERR!\s*code\s*(?P<code>E[A-Z0-9]+)"),
             "npm failed with the code {code}",
             "The lines after it say which package or file it concerns",
             "Read the npm ERR! lines below the code for the package name", rank=1),
)
