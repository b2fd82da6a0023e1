import ArgumentParser

@main
struct Centralino: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "centralino",
        abstract: "A multi-tenant SIP PBX with an Asterisk-compatible Manager Interface.",
        subcommands: [Serve.self, Apply.self],
        defaultSubcommand: Serve.self)
}
