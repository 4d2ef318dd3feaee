// Room: the SFU. Members join and leave; each publishes zero or more tracks, and every
// Participant (a member on the room protocol) is subscribed to every track of the others,
// forwarded as RTP without decoding (Endpoint/SendTrack do the forwarding, with bounded
// queues per subscriber). Members that publish from elsewhere (WHIP) are added by their
// owner with add_member()/publish(). What happens goes up through the Listener: joins and
// leaves, tracks published/unpublished/muted, the dominant speaker. When the room records,
// each member's tracks are recorded into one file of their own (MemberRecording), and a
// session manifest lists them all on one timeline (SessionManifest).
//
// The room's mix (RoomMix: mixed audio, composite video) runs while something claims it: a
// participant that receives the mix instead of everyone's tracks (RoomMode kMixed, or asked
// for in a kHybrid room), a composite recording, a viewer of the mixed view, a live stream.
// Its layout is the room's, kept while no mix runs. Media thread only.
#pragma once

#include "core/timer.hpp"
#include "mixing/room_mix.hpp"
#include "room/active_speaker.hpp"
#include "room/decoded_level_meter.hpp"
#include "room/member_recording.hpp"
#include "room/participant.hpp"
#include "room/room_streams.hpp"
#include "room/room_transcodes.hpp"
#include "room/session_manifest.hpp"

#include <optional>

#include <chrono>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace conf {

struct TrackInfo {
    std::string id;
    MediaKind kind = MediaKind::kAudio;
    bool muted = false;
};

struct MemberInfo {
    std::string id;
    std::string name;
    bool participant = false; // on the room protocol (else a WHIP publisher)
    std::vector<TrackInfo> tracks;
    std::string identity; // the join token's subject, if it came with one
};

// What is recorded: the whole room (every member, each into its own file, one session), one
// member (its tracks in one file), one track, or the composite (mixed audio + layout video).
enum class RecordingSource { kRoom, kMember, kTrack, kComposite };

// How participants receive the others: kSfu, each track forwarded; kMixed, the room's mix
// (the mix without their own voice, and the composite video); kHybrid, forwarded unless a
// participant asks for the mix (low bandwidth, a single-stream client).
enum class RoomMode { kSfu, kHybrid, kMixed };
std::string_view to_string(RoomMode mode) noexcept;
std::optional<RoomMode> parse_room_mode(std::string_view text) noexcept;

// The member id under which the composite is offered to participants that get the mix.
inline constexpr std::string_view kMixMemberId = "mix";
// The participant a composite recording's manifest and file are named after.
inline constexpr std::string_view kCompositeParticipant = "composite";

struct RecordingRequest {
    RecordingSource source = RecordingSource::kRoom;
    std::string member_id;                       // kMember, kTrack
    std::string track_id;                        // kTrack
    std::optional<RecordingContainer> container; // else the room's
    // Codecs to record in instead of pass-through (RecordingTranscode); null: as it arrives.
    RecordingTranscode transcode;
};

struct RecordingInfo {
    std::string id; // kRoom: the session id; else the recording's directory name
    RecordingSource source = RecordingSource::kRoom;
    std::string member_id;
    std::string track_id;
};

// How a recording ended, for Listener::on_recording_ended.
struct RecordingOutcome {
    bool failed = false;
    std::string failure_reason;
};

struct RoomOptions {
    std::string name;
    EndpointOptions endpoint; // for every participant's peer (ICE addresses, bitrate cap)
    std::chrono::milliseconds speaker_interval{200};
    DominantSpeaker::Options speaker;
    // Where and how recordings go: output_dir (the recordings root), container, limits; the
    // ids are filled in per recording. Unset: the room cannot record.
    std::optional<RecorderOptions> recording;
    // Records the whole room from its first publisher on, without start_recording().
    bool record_automatically = false;
    // How long to wait for a member's announced tracks before recording those there are.
    std::chrono::milliseconds track_wait{3000};
    RoomMode mode = RoomMode::kSfu;
    // The mix's layout (its canvas fixed for the room), names, bitrates.
    RoomMixOptions mix;
    // Live streams of the mix (HLS, RTMP); unset: the room cannot stream.
    std::optional<RoomStreamsOptions> streaming;
    // Transcodes for subscribers that cannot receive a track's codec (see RoomTranscodes).
    RoomTranscodesOptions transcoding;
};

class Room final : private Participant::Owner, private RoomMix::Listener {
  public:
    class Listener {
      public:
        virtual ~Listener() = default;
        virtual void on_member_joined(Room& /*room*/, const MemberInfo& /*member*/) {}
        // reason: "left", "disconnected" or "removed".
        virtual void on_member_left(Room& /*room*/, const std::string& /*member_id*/,
                                    const std::string& /*reason*/) {}
        virtual void on_track_published(Room& /*room*/, const std::string& /*member_id*/,
                                        const TrackInfo& /*track*/) {}
        virtual void on_track_unpublished(Room& /*room*/, const std::string& /*member_id*/,
                                          const std::string& /*track_id*/) {}
        virtual void on_track_muted(Room& /*room*/, const std::string& /*member_id*/,
                                    const std::string& /*track_id*/, bool /*muted*/) {}
        virtual void on_active_speaker(Room& /*room*/, const std::string& /*member_id*/) {}
        // A subscriber asked for a keyframe of this track and the request went to its sender
        // (rate-limited per track).
        virtual void on_keyframe_requested(Room& /*room*/, const std::string& /*member_id*/,
                                           const std::string& /*track_id*/) {}
        // A member's peer failed (it is then removed with reason "disconnected").
        virtual void on_member_failed(Room& /*room*/, const std::string& /*member_id*/,
                                      const Status& /*reason*/) {}
        virtual void on_recording_started(Room& /*room*/, const RecordingInfo& /*recording*/) {}
        virtual void on_recording_ended(Room& /*room*/, const RecordingInfo& /*recording*/,
                                        const RecordingOutcome& /*outcome*/) {}
        // From the registry: a room was made, or is gone ("deleted", "empty").
        virtual void on_room_created(Room& /*room*/) {}
        virtual void on_room_deleted(Room& /*room*/, const std::string& /*reason*/) {}
        // The mix's layout or who is where in it changed; `mix` is null when the layout
        // was set while no mix runs.
        virtual void on_layout_changed(Room& /*room*/, const RoomMix* /*mix*/) {}
        // The room's mix started (first claim) or stopped (last claim gone, or failed:
        // `error` says why).
        virtual void on_mix_state(Room& /*room*/, bool /*running*/, const Status& /*error*/) {}
        // A live stream went live, is reconnecting, ended or failed.
        virtual void on_stream_state(Room& /*room*/, const StreamInfo& /*stream*/) {}
    };

    // Keeps the room's mix running; the mix stops soon after the last claim goes. Move-only;
    // reset or destroy it on the media thread. Safe to outlive the room.
    class MixClaim {
      public:
        MixClaim() = default;
        ~MixClaim() { reset(); }
        MixClaim(MixClaim&& other) noexcept
            : room_(std::exchange(other.room_, nullptr)), alive_(std::move(other.alive_)) {}
        MixClaim& operator=(MixClaim&& other) noexcept;
        MixClaim(const MixClaim&) = delete;
        MixClaim& operator=(const MixClaim&) = delete;
        explicit operator bool() const noexcept { return room_ != nullptr; }
        void reset();

      private:
        friend class Room;
        MixClaim(Room* room, std::weak_ptr<int> alive) : room_(room), alive_(std::move(alive)) {}
        Room* room_ = nullptr;
        std::weak_ptr<int> alive_;
    };

    Room(Engine::Impl& engine, RoomOptions options, Listener& listener);
    ~Room() override;
    Room(const Room&) = delete;
    Room& operator=(const Room&) = delete;

    struct JoinOptions {
        std::string name;
        std::string identity;
        bool publish_audio = true;
        bool publish_video = true;
        // Whether it receives the others' tracks (a join token may allow publishing only).
        bool subscribe = true;
        // Receive the room's mix instead of each track (kHybrid rooms; kMixed always does).
        bool mixed = false;
        // Video codecs it decodes, by encoding name; empty: all. A video track in another
        // codec is sent transcoded (RoomTranscodes), or not at all when that fails.
        std::vector<std::string> receive_codecs;
    };
    // A participant joins: it is offered every track there is (and later ones) through
    // `remote`, which must outlive it (until remove() completes).
    Result<Participant*> join(const std::string& id, const JoinOptions& options, Signaller& remote);
    // A member publishing from elsewhere (WHIP), announcing `expected_tracks` tracks, and
    // its tracks as they arrive.
    void add_member(const std::string& id, const std::string& name, const std::string& identity,
                    std::size_t expected_tracks);
    void publish(const std::string& member_id, ReceivedTrack& track);
    // Unpublishes the member's tracks everywhere, finalizes its recording and closes its
    // peer if it is a participant; `done` runs once both are over.
    Status remove(const std::string& member_id, const std::string& reason,
                  std::function<void()> done = {});
    // The member says it muted (room protocol): a flag for the others, media still flows.
    Status set_muted(const std::string& member_id, MediaKind kind, bool muted);
    // An operator mutes a track for everyone: none of its packets are forwarded or recorded
    // until it is unmuted.
    Result<TrackInfo> mute_track(const std::string& member_id, const std::string& track_id,
                                 bool muted);

    // Starts a recording; returns its id. kFailedPrecondition when the room cannot record
    // or that source is already recorded, kNotFound for an unknown member or track.
    Result<std::string> start_recording(const RecordingRequest& request);
    // kInvalidArgument for transcode targets of the wrong kind, without an encoder, or that
    // the recording's container cannot hold.
    Status check_transcode(const RecordingRequest& request) const;
    // Stops a recording of this room; `done` runs on the media thread once its files are
    // finalized (at once with kNotFound for an unknown id).
    void stop_recording(const std::string& id, std::function<void(Status)> done);
    // The recordings in progress.
    std::vector<RecordingInfo> recordings() const;
    // The room session's id while the whole room is recorded, else empty.
    std::string room_recording_id() const;
    const std::string& name() const noexcept { return options_.name; }
    Participant* participant(const std::string& id);
    bool has_member(const std::string& id) const { return members_.count(id) != 0; }
    std::vector<MemberInfo> members() const;
    std::vector<ReceivedTrack*> tracks_of(const std::string& member_id) const;
    std::size_t size() const noexcept { return members_.size(); }
    // No members, no peer still closing, no recording still finalizing: the room can go
    // (after finish()).
    bool idle() const noexcept { return members_.empty() && closing_.empty() && finalizing_ == 0; }
    // Ends the recorded session (its manifest FINALIZED) and every recording. Call when
    // idle(); a room destroyed without it leaves the session as a crash would.
    void finish();
    // The room is empty but stays: an automatic session ends (the next publisher starts a new
    // one); a recording started by start_recording() goes on.
    void finish_automatic();
    // The member's recorder, if it is being recorded.
    const Recorder* recorder_of(const std::string& member_id) const;
    const SessionManifest* session() const noexcept { return session_.get(); }
    const std::string& active_speaker() const noexcept { return speaker_.current(); }
    RoomMode mode() const noexcept { return options_.mode; }

    // Starts the room's mix if it is not running (every published track goes in) and
    // keeps it running while the claim lives.
    Result<MixClaim> claim_mix();
    // The running mix, nullptr when nothing claims it.
    RoomMix* mix() noexcept { return mix_.get(); }
    // The layout of the mix (applied at once if it runs, else when it starts). Its canvas
    // must be the room's (kInvalidArgument otherwise).
    Status set_layout(Layout layout);
    // Locked, nobody moves in the mix's layout.
    void set_layout_locked(bool locked);
    const Layout& layout() const noexcept { return options_.mix.layout; }

    // Live streams of the mix (see RoomStreams). kFailedPrecondition when the room cannot
    // stream; kNotFound for an unknown id.
    Result<StreamInfo> start_stream(const std::string& id, const StreamRequest& request);
    Result<StreamInfo> stop_stream(const std::string& id);
    std::vector<StreamInfo> streams() const;
    bool layout_locked() const noexcept { return options_.mix.locked; }

    // The room's shared transcodes (a subscriber that cannot receive a track's codec).
    RoomTranscodes& transcodes() noexcept { return transcodes_; }
    // Whether the room is still there: for callbacks that may outlive it.
    std::weak_ptr<int> alive_token() const { return alive_; }

  private:
    struct Published {
        ReceivedTrack* track = nullptr;
        bool muted = false;
        std::shared_ptr<LevelSource> meter;
        std::unique_ptr<DecodedLevelMeter> decoder; // for tracks without RFC 6464 levels
        ReceivedTrack::Subscription meter_feed;
    };
    struct Member {
        std::string id;
        std::string name;
        std::unique_ptr<Participant> participant;
        std::vector<Published> tracks;
        bool muted[2] = {false, false}; // by MediaKind, remembered before a track exists
        std::size_t expected_tracks = 0;
        std::unique_ptr<MemberRecording> recording; // its part of the room's recording
        std::string identity;
        bool subscribes = true;
        // Receives the mix: the composite and the mix without its own voice.
        bool mixed = false;
        std::uint64_t joined = 0;                 // join order: where a mix started later places it
        std::vector<const Codec*> receive_codecs; // empty: every codec
        MixClaim mix_claim;
        AudioMixer::Output mix_audio;
    };
    // A recording of one member or one of its tracks, asked for on its own.
    struct OwnRecording {
        RecordingInfo info;
        std::unique_ptr<MemberRecording> recording;
        MixClaim mix_claim; // a composite recording's
        AudioMixer::Output mix_audio;
    };

    MemberInfo info(const Member& member) const;
    void record(Member& member, ReceivedTrack& track);
    // Sends `track` of member `from` to `to`: as it is, or transcoded into a codec `to`
    // decodes (its receive_codecs).
    void forward(Member& to, const std::string& from, ReceivedTrack& track);
    RecorderOptions recorder_options(const Member& member, const std::string& id) const;
    std::unique_ptr<MemberRecording> make_recording(RecorderOptions options,
                                                    std::size_t expected_tracks,
                                                    std::function<void()> started);
    // Lets `recording` finalize in the background; `done` runs once it has.
    void finalize(std::unique_ptr<MemberRecording> recording, std::function<void()> done);
    void end_own_recordings_of(const std::string& member_id);
    void begin_session();
    void sample_speakers();
    Result<std::string> start_composite_recording(const RecordingRequest& request);
    // A participant that gets the mix: the composite, and its mix-minus once its own voice
    // is in the mix (or the full mix when it sends no audio).
    void subscribe_to_mix(Member& member);
    void release_mix();
    void stop_mix(const Status& error);

    // RoomMix::Listener
    void on_mix_layout_changed(RoomMix& mix) override;
    void on_mix_failed(RoomMix& mix, const Status& error) override;

    // Participant::Owner
    void on_participant_track(Participant& participant, ReceivedTrack& track) override;
    void on_participant_failed(Participant& participant, const Status& reason) override;

    Engine::Impl& engine_;
    RoomOptions options_;
    Listener& listener_;
    Logger logger_;
    std::map<std::string, Member> members_;
    std::list<std::unique_ptr<Participant>> closing_;
    std::list<std::unique_ptr<MemberRecording>> finalizing_recordings_;
    std::size_t finalizing_ = 0;
    std::unique_ptr<SessionManifest> session_;
    bool recording_room_ = false;    // members are recorded into session_
    bool explicit_session_ = false;  // session_ came from start_recording()
    bool automatic_stopped_ = false; // StopRecording on an automatic room holds until Start
    std::optional<RecordingContainer> room_container_;
    RecordingTranscode room_transcode_; // of the whole-room recording started by request
    std::map<std::string, OwnRecording> own_recordings_;
    DominantSpeaker speaker_;
    Timer speaker_timer_;
    std::unique_ptr<RoomMix> mix_;
    std::unique_ptr<RoomStreams> streams_; // made with the first stream
    RoomTranscodes transcodes_;
    std::size_t mix_claims_ = 0;
    std::uint64_t joins_ = 0;
    bool setting_layout_ = false; // set_layout() reports the change itself
    std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

} // namespace conf
