"""会議録作成支援: meetings recorded in the browser or uploaded, transcribed on this server by
faster-whisper while the meeting goes on, corrected against the audio, printed as minutes,
and deleted on schedule (the audio once the minutes are 確定, the transcript after the
retention period). No link to application data."""
