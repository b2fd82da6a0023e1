// swift-tools-version:6.0
// libFuzzer targets for Centralino's parsers of untrusted input (docs/security.md, "Fuzzing").
// A separate package so the root package's normal build never needs the sanitizer toolchain.
// Build and run with scripts/fuzz.sh; by hand:
//   swift build -c debug --package-path Fuzz --scratch-path Fuzz/.build \
//       -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
//   Fuzz/.build/debug/FuzzSIP Fuzz/Corpus/FuzzSIP -max_total_time=60
import PackageDescription

let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")

let package = Package(
    name: "CentralinoFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Centralino", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Declares libFuzzer's driver entry point for the targets' `main` (see its header).
        .target(name: "FuzzerDriver"),
        .executableTarget(name: "FuzzAMI", dependencies: ["FuzzerDriver", .product(name: "AMI", package: "Centralino"), nioCore]),
        .executableTarget(name: "FuzzSIP", dependencies: ["FuzzerDriver", .product(name: "SIP", package: "Centralino"), nioCore]),
        .executableTarget(name: "FuzzSDP", dependencies: ["FuzzerDriver", .product(name: "SIP", package: "Centralino"), nioCore]),
        .executableTarget(name: "FuzzDialplan", dependencies: ["FuzzerDriver", .product(name: "PBX", package: "Centralino")]),
        .executableTarget(name: "FuzzDialplanRun", dependencies: ["FuzzerDriver", .product(name: "PBX", package: "Centralino")]),
        .executableTarget(name: "FuzzProvisioning", dependencies: ["FuzzerDriver", .product(name: "Store", package: "Centralino")]),
    ],
    swiftLanguageModes: [.v6]
)
