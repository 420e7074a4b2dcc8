/// The queue on a worker: jobs that wait for a free slot (`slots` in config.yaml) or for
/// the jobs they depend on (`--after`), in `R/queue/<sequence>-<id>`, started in that
/// order by `kick`, with no daemon: the wrapper of every ending job runs it, and so does
/// every launch, `p ls`, `p wait` and `p logs -f`, so a reboot or a job killed outright never
/// strands the queue. Its lock is the kernel's (`flock(2)`), so no crash leaves it held.
enum WorkerQueue {
    /// The `kick` program, `Worker/kick.sh`: written to `R/kick` by every launch that
    /// queues (so the worker always has the latest), run as `sh R/kick root=R [add=ID |
    /// remove=ID]`.
    static let kick = WorkerShell.program("kick.sh")
}
