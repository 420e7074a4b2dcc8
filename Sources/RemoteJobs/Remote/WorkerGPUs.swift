/// GPUs on a worker, claimed by p's jobs so that jobs placed at the same time, from one
/// client or several, never share one: a claim is the directory `R/gpus/<index>` (made with
/// `mkdir`, which only one process can win), holding the job's id in `job`. The wrapper
/// releases its claims when the job ends; a claim whose job ended, died or is gone is stale
/// and taken over by the next claim.
enum WorkerGPUs {
    /// `gstale J`: whether the claim of job directory `J` is stale (the job is gone, has an
    /// exit code, or is neither queued, being launched nor alive; a zombie is not alive). `gclaim N ID`: claims N
    /// GPUs for job ID (`$J`) among those `nvidia-smi` lists that run no process and no
    /// other job of p has claimed; names them in `CUDA_VISIBLE_DEVICES` in the job's env
    /// file and in `J/gpus`; fails, saying how many were free, and claims nothing when
    /// fewer are. `gcount`: prints `gpus <total> <free>` (free as `gclaim` counts them).
    static let functions =
        #"gstale() { [ -d "$1" ] || return 0; [ -f "$1/exitcode" ] && return 0; [ -f "$1/queued" ] && return 1; "#
        + WorkerQueue.launching("$1")
        + #" && return 1; [ -f "$1/pid" ] || return 1; read -r k < "$1/pid"; case $k in "" | *[!0-9]*) return 0 ;; esac; [ "$k" -gt 1 ] && kill -0 "$k" 2>/dev/null || return 0; "#
        + RemoteScripts.isZombie("$k")
        + #" && return 0; return 1; }; gfree() { y=; t=0; if command -v nvidia-smi > /dev/null 2>&1; then b=$(nvidia-smi --query-compute-apps=gpu_uuid --format=csv,noheader 2>/dev/null | tr -d " "); for l in $(nvidia-smi --query-gpu=index,uuid --format=csv,noheader 2>/dev/null | tr -d " "); do t=$((t+1)); i=${l%%,*}; u=${l#*,}; case $i in "" | *[!0-9]*) continue ;; esac; case $b in *"$u"*) continue ;; esac; g=$R/gpus/$i; if [ -d "$g" ]; then o=; read -r o < "$g/job" 2>/dev/null; if [ -n "$o" ] && gstale "$R/jobs/$o"; then rm -rf "$g"; else continue; fi; fi; y="$y $i"; done; fi; }; gcount() { gfree; set -- $y; printf "gpus %s %s\n" $t $#; }; gclaim() { if ! command -v nvidia-smi > /dev/null 2>&1; then echo "p: --gpus needs nvidia-smi on the worker, and its PATH has none" >&2; return 1; fi; mkdir -p "$R/gpus"; gfree; v=; c=0; for i in $y; do if [ $c -ge "$1" ]; then break; fi; if mkdir "$R/gpus/$i" 2>/dev/null; then echo "$2" > "$R/gpus/$i/job"; v=$v${v:+,}$i; c=$((c+1)); fi; done; if [ $c -lt "$1" ]; then for i in $(echo "$v" | tr "," " "); do rm -rf "$R/gpus/$i"; done; echo "p: $1 GPU(s) asked for, and $c of the $t GPUs of the worker are free" >&2; return 1; fi; printf "export CUDA_VISIBLE_DEVICES=%s\n" "$v" >> "$J/env" && echo "$v" > "$J/gpus"; }"#

    /// The wrapper's last step for a job with GPUs (`J/gpus`): removes its own claims.
    static let release =
        #"if [ -f "$J/gpus" ]; then for i in $(tr "," " " < "$J/gpus"); do o=; read -r o < "$R/gpus/$i/job" 2>/dev/null; if [ "$o" = "${J##*/}" ]; then rm -rf "$R/gpus/$i"; fi; done; fi"#
}
