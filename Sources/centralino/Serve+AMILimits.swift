import AMI
import AMIServer
import NIOCore
import PBX

/// The AMI connection, pipelining, regex and channel-variable limits from their flags
/// (docs/security.md, "AMI").
extension Serve {
    func applyAMIConnectionLimits(to configuration: inout AMIServerConfiguration) throws {
        func value(_ flag: Int?, _ name: String, _ variable: String, default fallback: Int, range: ClosedRange<Int>) throws -> Int {
            let value = try EnvironmentOption.resolveInt(flag, variable, default: fallback)
            guard range.contains(value) else {
                throw CommandFailure("\(name) \(value): expected \(range.lowerBound) to \(range.upperBound)")
            }
            return value
        }
        let timeout = try value(amiAuthTimeout, "--ami-auth-timeout", "CENTRALINO_AMI_AUTH_TIMEOUT", default: 30, range: 1...3600)
        configuration.authTimeout = .seconds(Int64(timeout))
        configuration.authLimit = try value(amiAuthLimit, "--ami-auth-limit", "CENTRALINO_AMI_AUTH_LIMIT", default: 50, range: 1...1_000_000)
        configuration.authLimitPerAddress = try value(
            amiAuthLimitPerAddress, "--ami-auth-limit-per-address", "CENTRALINO_AMI_AUTH_LIMIT_PER_ADDRESS",
            default: min(10, configuration.authLimit), range: 1...configuration.authLimit)
        // Unset (0): an eighth of the descriptor limit, derived when the listener binds.
        let connections = try value(amiMaxConnections, "--ami-max-connections", "CENTRALINO_AMI_MAX_CONNECTIONS", default: 0, range: 0...1_000_000)
        configuration.maximumConnections = connections == 0 ? nil : connections
        configuration.maximumPendingActions = try value(
            amiMaxPendingActions, "--ami-max-pending-actions", "CENTRALINO_AMI_MAX_PENDING_ACTIONS",
            default: 32, range: 1...100_000)
        configuration.regexLimits.maximumPatternLength = try value(
            amiRegexMaxPattern, "--ami-regex-max-pattern", "CENTRALINO_AMI_REGEX_MAX_PATTERN",
            default: LinearRegex.Limits.defaultPatternLength, range: 1...AMILimits.maximumLineLength)
        configuration.regexLimits.maximumSubjectLength = try value(
            amiRegexMaxSubject, "--ami-regex-max-subject", "CENTRALINO_AMI_REGEX_MAX_SUBJECT",
            default: LinearRegex.Limits.defaultSubjectLength, range: 1...65536)
        configuration.filterLimits = AMIEventFilter.Limits(
            maximumFilters: try value(
                amiMaxFilters, "--ami-max-filters", "CENTRALINO_AMI_MAX_FILTERS", default: AMIEventFilter.Limits.defaultFilters, range: 0...10_000),
            maximumPatternLength: try value(
                amiFilterMaxPattern, "--ami-filter-max-pattern", "CENTRALINO_AMI_FILTER_MAX_PATTERN",
                default: AMIEventFilter.Limits.defaultPatternLength, range: 1...AMILimits.maximumLineLength),
            maximumEventLength: try value(
                amiFilterMaxEvent, "--ami-filter-max-event", "CENTRALINO_AMI_FILTER_MAX_EVENT",
                default: AMIEventFilter.Limits.defaultEventLength, range: 64...1 << 20))
        configuration.patternThreads = try value(
            amiPatternThreads, "--ami-pattern-threads", "CENTRALINO_AMI_PATTERN_THREADS", default: 1, range: 1...64)
        let count = try value(
            channelMaxVariables, "--channel-max-variables", "CENTRALINO_CHANNEL_MAX_VARIABLES",
            default: ChannelVariables.Limits.defaultCount, range: (ChannelVariables.Limits.engineReserve + 1)...100_000)
        let name = try value(
            channelMaxVariableName, "--channel-max-variable-name", "CENTRALINO_CHANNEL_MAX_VARIABLE_NAME",
            default: ChannelVariables.Limits.defaultNameLength, range: 16...65536)
        let length = try value(
            channelMaxVariableValue, "--channel-max-variable-value", "CENTRALINO_CHANNEL_MAX_VARIABLE_VALUE",
            default: ChannelVariables.Limits.defaultValueLength, range: 16...1 << 20)
        configuration.variableLimits = ChannelVariables.Limits(maximumCount: count, maximumNameLength: name, maximumValueLength: length)
    }
}
