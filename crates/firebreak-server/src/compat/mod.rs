//! Other products' API shapes over Firebreak's use cases, so that existing
//! integrations work by changing only their base URL. Each shape is a facade:
//! it reads requests into calls of [`firebreak_app`] and answers in the shape
//! its clients expect; there is no second store and no second permission
//! model.

pub mod thehive;
