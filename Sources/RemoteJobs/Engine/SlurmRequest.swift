/// What a job asks of Slurm, on a Slurm worker: the common resources as fields, anything
/// else as `sbatch` options of its own. The worker's default options (`sbatch_options` in
/// `config.yaml`) come first, so these win.
public struct SlurmRequest: Sendable, Equatable {
    /// `--gpus`: a count, or `type:count`.
    public var gpus: String?
    /// `--time`: the time limit in Slurm's forms (`90`, `1:30:00`, `2-00:00:00`). Slurm
    /// stops the job when it is reached; p records it as stopped by `timeout`.
    public var time: String?
    /// `--partition`.
    public var partition: String?
    /// `--cpus-per-task`.
    public var cpus: Int?
    /// `--mem`: memory per node (`4G`, `500M`).
    public var memory: String?
    /// More `sbatch` options, one option or value per element (`["--qos", "high"]`).
    public var extraOptions: [String]

    /// A request; nothing asked by default.
    public init(
        gpus: String? = nil, time: String? = nil, partition: String? = nil, cpus: Int? = nil, memory: String? = nil,
        extraOptions: [String] = []
    ) {
        self.gpus = gpus
        self.time = time
        self.partition = partition
        self.cpus = cpus
        self.memory = memory
        self.extraOptions = extraOptions
    }

    /// Whether it asks for nothing.
    public var isEmpty: Bool { sbatchArguments.isEmpty }

    /// The `sbatch` options it stands for.
    public var sbatchArguments: [String] {
        var options: [String] = []
        if let gpus { options.append("--gpus=" + gpus) }
        if let time { options.append("--time=" + time) }
        if let partition { options.append("--partition=" + partition) }
        if let cpus { options.append("--cpus-per-task=\(cpus)") }
        if let memory { options.append("--mem=" + memory) }
        return options + extraOptions
    }

    /// Splits a line of options as a shell would split words: on blanks, with single and
    /// double quotes and backslashes keeping blanks inside a word (`--comment "two words"`).
    /// Nothing is expanded.
    /// - Throws: `RemoteJobsError.invalidArgument` for an unterminated quote.
    public static func splitOptions(_ line: String) throws(RemoteJobsError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for character in line {
            if escaped {
                current.append(character)
                escaped = false
            } else if let open = quote {
                if character == open {
                    quote = nil
                } else if character == "\\" && open == "\"" {
                    escaped = true
                } else {
                    current.append(character)
                }
            } else if character == "\\" {
                escaped = true
                inWord = true
            } else if character == "'" || character == "\"" {
                quote = character
                inWord = true
            } else if character.isWhitespace {
                if inWord { words.append(current) }
                current = ""
                inWord = false
            } else {
                current.append(character)
                inWord = true
            }
        }
        if quote != nil || escaped {
            throw .invalidArgument("The sbatch options '\(line)' end inside a quote or after a backslash.")
        }
        if inWord { words.append(current) }
        return words
    }
}
