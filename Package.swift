// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "p",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "p", targets: ["p"]),
        // The servers `p mcp` and `p ui` hand over to, one program apart from p so that p loads
        // neither the MCP SDK nor an HTTP server.
        .executable(name: "p-server", targets: ["p-server"]),
        .library(name: "SSHTransport", targets: ["SSHTransport"]),
        .library(name: "RemoteJobs", targets: ["RemoteJobs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.5.0"),
        // `p ui`'s HTTP server; without its default traits (swift-configuration, which p does not use).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        // `swift package generate-documentation`: the DocC catalogs of the two libraries.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibSSH2",
            pkgConfig: "libssh2",
            providers: [.apt(["libssh2-1-dev"]), .brew(["libssh2"])]
        ),
        .target(name: "SSHTransport", dependencies: ["CLibSSH2"]),
        .target(
            name: "RemoteJobs",
            dependencies: ["SSHTransport", .product(name: "Yams", package: "Yams")],
            // The worker-side shell programs, built in as text by the plugin.
            exclude: ["Worker"],
            plugins: ["EmbedWorkerScripts"]
        ),
        .executableTarget(name: "WorkerScriptEmbedder"),
        .plugin(name: "EmbedWorkerScripts", capability: .buildTool(), dependencies: ["WorkerScriptEmbedder"]),
        .target(
            name: "JobServer",
            dependencies: [
                "RemoteJobs", "SSHTransport", .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "PCLI",
            dependencies: [
                "RemoteJobs",
                "SSHTransport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "p", dependencies: ["PCLI"]),
        .target(
            name: "Dashboard",
            dependencies: [
                "RemoteJobs", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            // The page's files, built into the program (p serves them itself: no CDN, no files to install).
            resources: [.embedInCode("Page/index.html"), .embedInCode("Page/app.js"), .embedInCode("Page/app.css")]
        ),
        .executableTarget(name: "p-server", dependencies: ["JobServer", "Dashboard", "RemoteJobs"]),
        // The README's "Using p from Swift" example; a test builds and runs it against sshd.
        .executableTarget(name: "RunJob", dependencies: ["RemoteJobs"], path: "Examples/RunJob"),
        .testTarget(
            name: "SSHTransportTests",
            dependencies: ["SSHTransport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "RemoteJobsTests", dependencies: ["RemoteJobs"]),
        .testTarget(name: "PCLITests", dependencies: ["PCLI"]),
        .testTarget(name: "JobServerTests", dependencies: ["JobServer"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "SSHTransport", "RemoteJobs", "PCLI", "JobServer", .product(name: "MCP", package: "swift-sdk"),
            ],
            path: "IntegrationTests",
            // The second MCP client the tests run, in Python.
            exclude: ["Support/python"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
