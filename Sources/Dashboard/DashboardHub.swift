import Foundation
import RemoteJobs

/// What the page shows, kept current, and each change handed to every open page.
///
/// Three sources, no more: the records' directory (`JobRecordFolder`: one `stat` a look
/// while nothing changed; new jobs from any p process appear through it), one status watch
/// over the jobs that may still change (`JobStatusWatch`, as `p watch` and `p mcp` use it:
/// one exchange per worker per look with its long-lived poll server), and a measurement of
/// every worker (`JobEngine.measure`) each `probeInterval` while a page is open.
actor DashboardHub {
    /// How often the records' directory is looked at.
    static let folderInterval = Duration.milliseconds(250)
    /// How many measurements of a worker are kept (the plots' span: ten minutes at 5 s).
    static let samplesKept = 120
    /// How many ended jobs the first load carries (all active ones come too).
    static let endedJobsShown = 300

    private let engine: JobEngine
    private let folder: JobRecordFolder
    private let watch: JobStatusWatch
    let probeInterval: Duration

    private var jobs: [String: JobRecord] = [:]
    private var watched: Set<String> = []
    private var workers: [WorkerView] = []
    private var samples: [String: [WorkerSample]] = [:]
    /// Each open page's events, as the stream carries them (each encoded once for all).
    private var pages: [UUID: AsyncStream<String>.Continuation] = [:]
    private var lastProbe: ContinuousClock.Instant?

    init(engine: JobEngine, probeInterval: Duration = .seconds(5)) {
        self.engine = engine
        folder = JobRecordFolder(engine: engine)
        watch = JobStatusWatch(engine: engine)
        self.probeInterval = probeInterval
    }

    /// Keeps everything current until cancelled.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.followFolder() }
            group.addTask { await self.followWatch() }
            group.addTask { await self.measureWorkers() }
        }
    }

    /// A page's events, as server-sent event text: a snapshot first, then every change,
    /// until the page goes.
    func open() -> AsyncStream<String> {
        let id = UUID()
        let (stream, continuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(10_000))
        continuation.yield(DashboardEvent.snapshot(snapshot()).text)
        continuation.onTermination = { _ in Task { await self.close(id) } }
        pages[id] = continuation
        // A page opened after a while without one gets fresh measurements at once.
        if lastProbe.map({ ContinuousClock.now - $0 > probeInterval }) ?? true {
            Task { await self.measureOnce() }
        }
        return stream
    }

    private func close(_ id: UUID) {
        pages[id] = nil
    }

    /// What a page shows when it opens.
    func snapshot() -> DashboardSnapshot {
        let all = jobsOldestFirst
        let ended = all.filter { !$0.status.isActive }.suffix(Self.endedJobsShown).map(\.id)
        let shown = Set(ended)
        return DashboardSnapshot(
            workers: workers, samples: samples,
            jobs: all.filter { $0.status.isActive || shown.contains($0.id) }.map(JobView.init),
            totalJobs: all.count, probeSeconds: Double(probeInterval.components.seconds))
    }

    /// Every job, oldest first.
    func allJobs() -> [JobView] {
        jobsOldestFirst.map(JobView.init)
    }

    private var jobsOldestFirst: [JobRecord] {
        jobs.values.sorted { ($0.submittedAt, $0.id) < ($1.submittedAt, $1.id) }
    }

    private func send(_ event: DashboardEvent) {
        guard !pages.isEmpty else { return }
        let text = event.text
        for page in pages.values { page.yield(text) }
    }

    // MARK: Jobs

    private func followFolder() async {
        while !Task.isCancelled {
            let changes = await folder.changes()
            if !changes.isEmpty { await apply(changes) }
            try? await Task.sleep(for: Self.folderInterval)
        }
    }

    private func apply(_ changes: JobRecordFolder.Changes) async {
        for record in changes.changed { update(record) }
        for id in changes.removed {
            jobs[id] = nil
            send(.removed(id))
            if watched.remove(id) != nil { await watch.unwatch(id) }
        }
        // Jobs that may still change are watched (a new job, or one a reconcile brought back).
        let toWatch = changes.changed.filter { $0.status.mayChange && !watched.contains($0.id) }
        if !toWatch.isEmpty {
            watched.formUnion(toWatch.map(\.id))
            for record in await watch.watch(toWatch) { update(record) }
        }
    }

    private func followWatch() async {
        for await record in watch.changes() {
            update(record)
            if !record.status.mayChange, watched.remove(record.id) != nil { await watch.unwatch(record.id) }
        }
    }

    /// Takes a record in and tells the pages if what they show changed: a change seen twice
    /// (by the watch, then in the record it saved) is sent once. A record read before the
    /// job ended never takes an ended job back (the watch saves the end before it reports
    /// it, but a look at the directory may have read the file a moment before), the rule
    /// `JobStore.update` keeps on disk.
    private func update(_ record: JobRecord) {
        let known = jobs[record.id]
        if let known, known.status.removal == .ended, record.status.removal != .ended { return }
        jobs[record.id] = record
        let view = JobView(record)
        guard known.map(JobView.init) != view else { return }
        send(.job(view))
    }

    // MARK: Workers

    /// Reads the registered workers every `probeInterval`, and measures them while a page
    /// is open (a page that opens after a while without one gets a measurement at once:
    /// `open`).
    private func measureWorkers() async {
        while !Task.isCancelled {
            let registered = await refreshWorkers()
            // Nobody looks: no logins, no load on the workers.
            if !pages.isEmpty { await measure(registered) }
            try? await Task.sleep(for: probeInterval)
        }
    }

    private func measureOnce() async {
        await measure(await refreshWorkers())
    }

    /// The registered workers, read again (one registered, changed or removed since shows).
    private func refreshWorkers() async -> [Worker] {
        let configuration = try? await engine.loadWorkers()
        let registered = configuration?.workers ?? []
        let views = registered.map { WorkerView($0, isDefault: $0.name == configuration?.defaultWorker) }
        if views != workers {
            workers = views
            for name in samples.keys where !views.contains(where: { $0.name == name }) { samples[name] = nil }
            send(.workers(views))
        }
        return registered
    }

    private func measure(_ registered: [Worker]) async {
        lastProbe = ContinuousClock.now
        let now = Date()
        let loads = await engine.measure(registered)
        var round: [String: WorkerSample] = [:]
        for (name, load) in loads {
            let sample = WorkerSample(at: now, load)
            round[name] = sample
            samples[name, default: []].append(sample)
            if samples[name]!.count > Self.samplesKept { samples[name]!.removeFirst() }
        }
        send(.samples(round))
    }
}
