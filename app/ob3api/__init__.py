"""The 1EdTech Open Badges 3.0 API: this tool as Service Provider (discovery, dynamic
client registration, authorization code + PKCE, getCredentials, getProfile) and as Service
Consumer (a learner pushes a badge to a host with upsertCredential)."""
